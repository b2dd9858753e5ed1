'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  errorMessage,
  type CompareMode,
  type GoodDirection,
  type Granularity,
  type MetricSeries,
  type SeriesParams,
} from '@/lib/api';
import { useMetricCatalog, useMetricSeries } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { EmptyState, Section } from '../ui/card';
import { Select } from '../ui/field';
import { Loading } from '../ui/spinner';
import { ChangeIndicator } from './change-indicator';
import { bucketPhrase, formatPlainDate, formatValue, humanizeMetric, KIND_LABELS } from './format';
import {
  DEFAULT_GRANULARITY,
  granularityFor,
  GRANULARITY_OPTIONS,
  presetRange,
  RANGE_OPTIONS,
  seriesWindow,
  todayIn,
  type DateRange,
  type RangePreset,
} from './range';
import { SeriesChart } from './series-chart';
import { SeriesTable } from './series-table';

type CompareChoice = CompareMode | 'none';

// Fetched when custom dates are chosen: the form (React Hook Form, Zod) stays out of the first load.
const CustomRangeForm = dynamic(() => import('./custom-range-form').then((m) => m.CustomRangeForm), {
  ssr: false,
  loading: () => <Loading />,
});

const COMPARE_OPTIONS: { value: CompareChoice; label: string }[] = [
  { value: 'none', label: 'No comparison' },
  { value: 'previous_period', label: 'Previous period' },
  { value: 'previous_year', label: 'Previous year' },
];

const COMPARE_LABELS: Record<CompareMode, string> = {
  previous_period: 'Previous period',
  previous_year: 'Previous year',
};

/** `/metrics/?m=<type>`: one metric over time, with range, granularity and comparison. */
export function MetricDetail({ metricType }: { metricType: string }) {
  const organization = useSession((s) => s.organization);
  const timeZone = organization?.timezone ?? 'UTC';
  const currency = organization?.currency ?? 'USD';
  const catalog = useMetricCatalog();
  const definition = catalog.data?.find((d) => d.name === metricType);
  const name = humanizeMetric(metricType);

  const [preset, setPreset] = useState<RangePreset>('12m');
  const [range, setRange] = useState<DateRange>(() => presetRange('12m', todayIn(timeZone)));
  const [granularity, setGranularity] = useState<Granularity>(DEFAULT_GRANULARITY['12m']);
  const [compare, setCompare] = useState<CompareChoice>('none');
  // When the page opened: a bucket that ends later is still filling up.
  const [openedAt] = useState(() => Date.now());

  const params = useMemo<SeriesParams>(
    () => ({
      ...seriesWindow(range, granularity, timeZone),
      granularity,
      ...(compare === 'none' ? {} : { compare }),
    }),
    [range, granularity, timeZone, compare],
  );
  const series = useMetricSeries(metricType, params);

  // Arriving from the list moves focus to what changed (the page's heading).
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const choosePreset = (value: RangePreset) => {
    setPreset(value);
    if (value === 'custom') return; // the range changes when the dates are applied
    setRange(presetRange(value, todayIn(timeZone)));
    setGranularity(DEFAULT_GRANULARITY[value]);
  };

  const applyCustom = (next: DateRange) => {
    setRange(next);
    setGranularity(granularityFor(next));
  };

  if (series.error instanceof ApiError && series.error.status === 404) {
    return (
      <div className="space-y-6">
        <BackLink />
        <h1 ref={heading} tabIndex={-1} className="text-2xl font-bold text-gray-900 focus:outline-none">
          {name}
        </h1>
        <EmptyState>
          There is no metric called “{metricType}” in this organization.{' '}
          <Link href="/metrics/" className="font-medium text-indigo-700 underline">
            See all metrics
          </Link>
          .
        </EmptyState>
      </div>
    );
  }

  const compareLabel = compare === 'none' ? null : COMPARE_LABELS[compare];
  const good = definition?.good_direction ?? 'neutral';
  const rangeText = `${formatPlainDate(range.from)} – ${formatPlainDate(range.to)}`;
  const updating = series.isFetching && series.isPlaceholderData;

  return (
    <div className="space-y-6">
      <div>
        <BackLink />
        <h1 ref={heading} tabIndex={-1} className="mt-2 text-2xl font-bold text-gray-900 focus:outline-none">
          {name}
        </h1>
        {definition && (
          <p className="mt-1 text-sm text-gray-600">
            {definition.description} {KIND_LABELS[definition.kind]}.
          </p>
        )}
      </div>

      <Section id="metric-series" title={rangeText} description={`In ${timeZone} time`}>
        <div className="space-y-4">
          <div className="grid gap-3 sm:grid-cols-3">
            <Select
              label="Range"
              value={preset}
              onChange={(e) => choosePreset(e.target.value as RangePreset)}
              options={RANGE_OPTIONS}
            />
            <Select
              label="Granularity"
              value={granularity}
              onChange={(e) => setGranularity(e.target.value as Granularity)}
              options={GRANULARITY_OPTIONS}
            />
            <Select
              label="Compare with"
              value={compare}
              onChange={(e) => setCompare(e.target.value as CompareChoice)}
              options={COMPARE_OPTIONS}
            />
          </div>
          {preset === 'custom' && <CustomRangeForm initial={range} onApply={applyCustom} />}

          <div aria-busy={updating || series.isPending} className="space-y-4">
            <p role="status" className="sr-only">
              {updating ? 'Updating the chart…' : ''}
            </p>
            {series.isPending ? (
              <ChartSkeleton />
            ) : series.error ? (
              <Alert tone="error">Could not load {name}. {errorMessage(series.error)}</Alert>
            ) : series.data.buckets.every((b) => b.value === null) ? (
              <EmptyState>
                No data for {name} between {rangeText}. Choose a longer range, or add data from the{' '}
                <Link href="/metrics/" className="font-medium text-indigo-700 underline">
                  metrics page
                </Link>
                .
              </EmptyState>
            ) : (
              <div className={updating ? 'opacity-60 transition-opacity' : undefined}>
                <Headline
                  now={openedAt}
                  series={series.data}
                  compareLabel={compareLabel}
                  good={good}
                  currency={currency}
                  timeZone={timeZone}
                />
                <SeriesChart
                  className="mt-4"
                  series={series.data}
                  name={name}
                  compareLabel={compareLabel}
                  good={good}
                  currency={currency}
                  timeZone={timeZone}
                />
                <div className="mt-4">
                  <SeriesTable
                    series={series.data}
                    name={name}
                    compareLabel={compareLabel}
                    good={good}
                    currency={currency}
                    timeZone={timeZone}
                  />
                </div>
              </div>
            )}
          </div>
        </div>
      </Section>
    </div>
  );
}

function BackLink() {
  return (
    <Link
      href="/metrics/"
      className="inline-flex min-h-11 items-center gap-1 text-sm font-medium text-indigo-700 hover:text-indigo-900"
    >
      <span aria-hidden="true">←</span> All metrics
    </Link>
  );
}

/** The latest bucket with data, and how it compares. */
function Headline({
  now,
  series,
  compareLabel,
  good,
  currency,
  timeZone,
}: {
  now: number;
  series: MetricSeries;
  compareLabel: string | null;
  good: GoodDirection;
  currency: string;
  timeZone: string;
}) {
  const i = series.buckets.findLastIndex((b) => b.value !== null);
  const bucket = series.buckets[i];
  if (!bucket) return null;
  const period = `${series.granularity === 'day' ? 'on' : 'in'} ${bucketPhrase(bucket.start, series.granularity, timeZone)}`;
  const unfinished = new Date(bucket.end).getTime() > now;
  const other = compareLabel ? series.compare?.buckets[i] : undefined;
  return (
    <div className="space-y-1">
      <p className="text-sm text-gray-700">
        <span className="text-2xl font-semibold text-gray-900 tabular-nums">
          {formatValue(bucket.value, series.unit, currency)}
        </span>{' '}
        {period}
        {unfinished ? ' (so far)' : ''}
      </p>
      {other && (
        <ChangeIndicator
          change={series.compare?.changes[i]}
          good={good}
          unit={series.unit}
          currency={currency}
          against={`vs ${bucketPhrase(other.start, series.granularity, timeZone)} (${formatValue(
            other.value,
            series.unit,
            currency,
          )})`}
        />
      )}
    </div>
  );
}

function ChartSkeleton() {
  return (
    <div role="status" aria-label="Loading the chart…" className="space-y-4">
      <div className="h-8 w-40 animate-pulse rounded bg-gray-200" />
      <div className="h-64 animate-pulse rounded-md bg-gray-100 sm:h-80" />
    </div>
  );
}
