'use client';

import { useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { api, canWriteMetrics, errorMessage, type HealthScore, type ScoreCategory } from '@/lib/api';
import { queryKeys, useHealthHistory, useHealthScore, useInsights, useOrgId } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { LiveIndicator } from '../live/live-indicator';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Section } from '../ui/card';
import { CategoryCards, CategoryCardsSkeleton } from './category-cards';
import { DriversList } from './drivers-list';
import { FactorBreakdown } from './factor-breakdown';
import { formatShare } from './format';
import { InsightsList } from './insights-list';
import { ScoreGauge } from './score-gauge';
import { TrendChart } from './trend-chart';

const POLL_MS = 1500;
const POLL_LIMIT_MS = 30_000;

/** The last 12 months, fixed when the page opens so that the query key stays stable. */
function lastYear(): { from: string; to: string } {
  const to = new Date();
  const from = new Date(to);
  from.setUTCFullYear(from.getUTCFullYear() - 1);
  return { from: from.toISOString(), to: to.toISOString() };
}

/** True when no category has any data: the honest "nothing to score yet" state. */
function hasNoData(score: HealthScore): boolean {
  return score.coverage === 0 && score.categories.every((c) => c.score === null);
}

/** `2026-10-01` → "October 2026" (a calendar month: no time zone shift). */
function formatMonth(day: string): string {
  const date = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date);
}

function formatWhen(iso: string, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(date);
  } catch {
    return date.toISOString();
  }
}

export function NoScoreYet({ reason }: { reason?: string }) {
  return (
    <Section id="no-score" title="No health score yet" description="The score is computed from your metrics, and there are none to read yet.">
      {reason && <p className="text-sm text-gray-700">{reason}</p>}
      <p className="mt-3 text-sm text-gray-700">
        Add data on the{' '}
        <Link href="/metrics/" className="font-medium text-indigo-700 underline hover:text-indigo-900">
          Metrics
        </Link>{' '}
        page: import a CSV file there, or push points from your own systems with an API key. Revenue, expenses,
        cash balance and active customers are a good start.
      </p>
    </Section>
  );
}

function RecalculateButton({
  calculatedAt,
  onStart,
  onDone,
}: {
  calculatedAt: string | undefined;
  onStart: () => void;
  onDone: () => void;
}) {
  const [state, setState] = useState<'idle' | 'sending' | 'waiting' | 'slow'>('idle');
  const [error, setError] = useState<string | null>(null);
  const [since, setSince] = useState<string | undefined>(undefined);
  const queryClient = useQueryClient();
  const orgId = useOrgId();
  // While waiting, the score query polls (see OverviewView); a new calculated_at ends the wait.
  const arrived = state === 'waiting' && calculatedAt !== undefined && calculatedAt !== since;
  const phase = arrived ? 'done' : state;

  useEffect(() => {
    if (!arrived) return;
    onDone();
    void queryClient.invalidateQueries({ queryKey: queryKeys.health(orgId) });
  }, [arrived, onDone, queryClient, orgId]);

  useEffect(() => {
    if (state !== 'waiting' || arrived) return;
    const timer = setTimeout(() => {
      setState('slow');
      onDone();
    }, POLL_LIMIT_MS);
    return () => clearTimeout(timer);
  }, [state, arrived, onDone]);

  const run = async () => {
    setError(null);
    setState('sending');
    setSince(calculatedAt);
    try {
      await api.recalculateHealth();
      setState('waiting');
      onStart();
    } catch (e) {
      setError(errorMessage(e));
      setState('idle');
    }
  };

  return (
    <div className="flex flex-col items-start gap-1 sm:items-end">
      <Button variant="secondary" onClick={run} loading={phase === 'sending' || phase === 'waiting'}>
        Recalculate
      </Button>
      <p role="status" className="text-xs text-gray-600">
        {phase === 'waiting' && 'Recalculating…'}
        {phase === 'done' && 'Score recalculated.'}
        {phase === 'slow' && 'The recalculation is taking longer than usual. Reload the page in a moment.'}
      </p>
      {error && (
        <p role="alert" className="text-xs text-red-700">
          Could not recalculate. {error}
        </p>
      )}
    </div>
  );
}

/** `/overview/`: the overall health score, its five categories, trend, drivers and insights. */
export function OverviewView() {
  const organization = useSession((s) => s.organization);
  const role = useSession((s) => s.role);
  const currency = organization?.currency ?? 'USD';
  const timeZone = organization?.timezone ?? 'UTC';
  const [polling, setPolling] = useState(false);
  const [range] = useState(lastYear);
  const [selected, setSelected] = useState<ScoreCategory | null>(null);
  const score = useHealthScore(polling ? POLL_MS : false);
  // After the score: the first score request computes and stores the score its insights and
  // history entry come from.
  const scored = score.isSuccess;
  const history = useHealthHistory(range.from, range.to, scored);
  const insights = useInsights(scored);

  const startPolling = useCallback(() => setPolling(true), []);
  const stopPolling = useCallback(() => setPolling(false), []);
  const data = score.data;
  const category = data?.categories.find((c) => c.name === selected) ?? null;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <h1 className="text-2xl font-bold text-gray-900">Overview</h1>
            <LiveIndicator />
          </div>
          <p className="mt-1 text-sm text-gray-600">
            {data
              ? `Health score for the months up to ${formatMonth(data.as_of)}, calculated ${formatWhen(data.calculated_at, timeZone)}.`
              : 'Your business health score, what moves it, and what to do next.'}
          </p>
        </div>
        {canWriteMetrics(role) && data && (
          <RecalculateButton calculatedAt={data.calculated_at} onStart={startPolling} onDone={stopPolling} />
        )}
      </div>

      {score.isPending ? (
        <div role="status" aria-label="Loading the health score" className="space-y-6">
          <div aria-hidden="true" className="mx-auto h-44 max-w-xs animate-pulse rounded-xl bg-gray-100" />
          <CategoryCardsSkeleton />
          <div aria-hidden="true" className="h-64 animate-pulse rounded-xl bg-gray-100" />
        </div>
      ) : score.error ? (
        <Alert tone="error">Could not load the health score. {errorMessage(score.error)}</Alert>
      ) : hasNoData(score.data) ? (
        <NoScoreYet reason={score.data.reason} />
      ) : (
        <>
          <section aria-labelledby="overall-title" className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-gray-200 sm:p-6">
            <h2 id="overall-title" className="sr-only">
              Overall score
            </h2>
            <ScoreGauge score={score.data.overall} />
            <p className="mt-2 text-center text-xs text-gray-600">
              Data coverage {formatShare(score.data.coverage)} of the model · confidence{' '}
              {formatShare(score.data.confidence)} · model {score.data.model_version}
            </p>
            {score.data.reason && <p className="mt-2 text-center text-sm text-gray-700">{score.data.reason}</p>}
          </section>

          <section aria-labelledby="categories-title" className="space-y-3">
            <h2 id="categories-title" className="text-base font-semibold text-gray-900">
              Categories
            </h2>
            <CategoryCards
              categories={score.data.categories}
              selected={selected}
              onSelect={(name) => setSelected((s) => (s === name ? null : name))}
            />
          </section>

          {category && <FactorBreakdown category={category} currency={currency} />}

          <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
            <Section id="trend" title="Trend" description="The overall score over the last 12 months (the last score of each day).">
              {history.isPending ? (
                <div aria-hidden="true" className="h-56 animate-pulse rounded-md bg-gray-100" />
              ) : history.error ? (
                <Alert tone="error">Could not load the score history. {errorMessage(history.error)}</Alert>
              ) : (
                <TrendChart items={history.data} timeZone={timeZone} />
              )}
            </Section>
            <Section id="drivers" title="What moved the score" description="The factors that changed the overall most since the previous calculation, in points.">
              <DriversList drivers={score.data.drivers} />
            </Section>
          </div>

          <Section id="insights" title="Insights" description="Recommendations and observations, most severe first. Open one to see its evidence.">
            {insights.isPending ? (
              <div aria-hidden="true" className="h-32 animate-pulse rounded-md bg-gray-100" />
            ) : insights.error ? (
              <Alert tone="error">Could not load insights. {errorMessage(insights.error)}</Alert>
            ) : (
              <InsightsList insights={insights.data} currency={currency} />
            )}
          </Section>
        </>
      )}
    </div>
  );
}
