'use client';

import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { HealthHistoryItem } from '@/lib/api';
import { Alert } from '../ui/alert';
import { EmptyState } from '../ui/card';
import { cn } from '../ui/cn';
import { formatScore } from './format';

const loadChart = () => import('../metrics/chart-setup');

const PRIMARY = '#4f46e5';
const AXIS = '#4b5563';
const GRID = '#e5e7eb';

export interface TrendPoint {
  day: string;
  label: string;
  overall: number | null;
}

/** The last stored score of each day (in the organization's time zone), oldest first. */
export function dailyPoints(items: HealthHistoryItem[], timeZone: string): TrendPoint[] {
  let dayFormat: Intl.DateTimeFormat;
  let labelFormat: Intl.DateTimeFormat;
  try {
    dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    labelFormat = new Intl.DateTimeFormat(undefined, { timeZone, year: 'numeric', month: 'short', day: 'numeric' });
  } catch {
    dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
    labelFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
  }
  const byDay = new Map<string, TrendPoint>();
  for (const item of items) {
    const date = new Date(item.calculated_at);
    if (Number.isNaN(date.getTime())) continue;
    const day = dayFormat.format(date);
    byDay.set(day, { day, label: labelFormat.format(date), overall: item.overall });
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}

function reducedMotion(): boolean {
  return typeof window !== 'undefined' && window.matchMedia?.('(prefers-reduced-motion: reduce)').matches === true;
}

/** The overall score over the last 12 months as a Chart.js line, fetched after the first render. */
export function TrendChart({ items, timeZone }: { items: HealthHistoryItem[]; timeZone: string }) {
  const points = useMemo(() => dailyPoints(items, timeZone), [items, timeZone]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  const enough = points.filter((p) => p.overall !== null).length >= 2;

  const config = useMemo(
    () =>
      ({
        type: 'line',
        data: {
          labels: points.map((p) => p.label),
          datasets: [
            {
              label: 'Overall score',
              data: points.map((p) => p.overall),
              borderColor: PRIMARY,
              backgroundColor: PRIMARY,
              borderWidth: 2,
              spanGaps: false,
              pointRadius: points.length > 60 ? 0 : 2,
              pointHitRadius: 8,
            },
          ],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: reducedMotion() ? false : { duration: 250 },
          interaction: { mode: 'index', intersect: false },
          scales: {
            x: { grid: { display: false }, ticks: { color: AXIS, maxRotation: 0, autoSkipPadding: 16 } },
            y: { min: 0, max: 100, grid: { color: GRID }, ticks: { color: AXIS, stepSize: 25 } },
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: (item) => `Overall: ${formatScore(item.raw as number | null)}`,
              },
            },
          },
        },
      }) as ChartConfiguration,
    [points],
  );

  useEffect(() => {
    if (!enough) return;
    let cancelled = false;
    let chart: { destroy: () => void } | undefined;
    loadChart()
      .then(({ Chart }) => {
        if (cancelled || !canvas.current) return;
        chart = new Chart(canvas.current, config);
        setState('ready');
      })
      .catch(() => {
        if (!cancelled) setState('failed');
      });
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [config, enough]);

  if (!enough) {
    return (
      <EmptyState>
        {points.length === 0
          ? 'No scores stored in the last 12 months yet.'
          : 'The trend appears once scores from at least two days are stored.'}
      </EmptyState>
    );
  }

  const present = points.filter((p) => p.overall !== null);
  const first = present[0]!;
  const last = present[present.length - 1]!;
  const description = `Line chart of the overall health score, from ${formatScore(first.overall)} on ${first.label} to ${formatScore(last.overall)} on ${last.label}.`;
  return (
    <div>
      {state === 'failed' && (
        <Alert tone="warning" className="mb-3">
          The chart could not be loaded. {description}
        </Alert>
      )}
      <div className={cn('relative h-56 sm:h-64', state === 'failed' && 'hidden')}>
        {state === 'loading' && <div aria-hidden="true" className="absolute inset-0 animate-pulse rounded-md bg-gray-100" />}
        <canvas ref={canvas} role="img" aria-label={description} />
      </div>
    </div>
  );
}
