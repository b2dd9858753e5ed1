'use client';

import type { ChartConfiguration, ScriptableContext } from 'chart.js';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { GoodDirection, MetricSeries } from '@/lib/api';
import { Alert } from '../ui/alert';
import { cn } from '../ui/cn';
import { describeChange, formatBucket, formatValue, toNumber } from './format';

const loadChart = () => import('./chart-setup');

const PRIMARY = '#4f46e5'; // indigo-600
const COMPARE = '#6b7280'; // gray-500
const COMPARE_FILL = '#9ca3af'; // gray-400
const AXIS = '#4b5563'; // gray-600
const GRID = '#e5e7eb'; // gray-200

export interface SeriesChartProps {
  series: MetricSeries;
  /** The metric's name for people. */
  name: string;
  /** "Previous period" or "Previous year", when comparing. */
  compareLabel: string | null;
  good: GoodDirection;
  currency: string;
  timeZone: string;
  className?: string;
}

function prefersReducedMotion(): boolean {
  return typeof window !== 'undefined' && window.matchMedia?.('(prefers-reduced-motion: reduce)').matches === true;
}

/** A point drawn only where the line cannot show it: between two gaps. */
function isolatedRadius(values: (number | null)[], base: number) {
  return (ctx: ScriptableContext<'line'>) => {
    const i = ctx.dataIndex;
    const alone = values[i] !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null;
    return alone ? 3 : base;
  };
}

function buildConfig({ series, name, compareLabel, good, currency, timeZone }: SeriesChartProps): ChartConfiguration {
  const { unit, granularity } = series;
  // Bars for flows (a period's total), lines for stocks and rates (a level over time).
  const bars = series.kind === 'flow';
  const values = series.buckets.map((b) => toNumber(b.value));
  const labels = series.buckets.map((b) => formatBucket(b.start, granularity, timeZone, 'short'));
  const titles = series.buckets.map((b) => formatBucket(b.start, granularity, timeZone, 'long'));
  const compare = compareLabel ? series.compare : undefined;
  const compareValues = compare?.buckets.map((b) => toNumber(b.value)) ?? [];
  const compareTitles = compare?.buckets.map((b) => formatBucket(b.start, granularity, timeZone, 'long')) ?? [];
  const pointRadius = values.length > 60 ? 0 : 2;
  const format = (v: number | null) => (v === null ? 'no data' : formatValue(v, unit, currency));

  const current = bars
    ? { type: 'bar' as const, label: name, data: values, backgroundColor: PRIMARY, borderRadius: 2, maxBarThickness: 40, order: 1 }
    : {
        type: 'line' as const,
        label: name,
        data: values,
        borderColor: PRIMARY,
        backgroundColor: PRIMARY,
        borderWidth: 2,
        // Null buckets are gaps in the line, never zero.
        spanGaps: false,
        pointRadius: isolatedRadius(values, pointRadius),
        pointHitRadius: 8,
        order: 1,
      };
  const datasets: ChartConfiguration['data']['datasets'] = [current];
  if (compare) {
    datasets.push(
      bars
        ? {
            type: 'bar' as const,
            label: compareLabel!,
            data: compareValues,
            backgroundColor: COMPARE_FILL,
            borderRadius: 2,
            maxBarThickness: 40,
            order: 2,
          }
        : {
            type: 'line' as const,
            label: compareLabel!,
            data: compareValues,
            borderColor: COMPARE,
            backgroundColor: COMPARE,
            borderWidth: 1.5,
            borderDash: [6, 4],
            spanGaps: false,
            pointRadius: isolatedRadius(compareValues, 0),
            pointHitRadius: 8,
            order: 2,
          },
    );
  }

  return {
    type: bars ? 'bar' : 'line',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: prefersReducedMotion() ? false : { duration: 250 },
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          grid: { display: false },
          ticks: { color: AXIS, maxRotation: 0, autoSkipPadding: 16 },
        },
        y: {
          beginAtZero: bars,
          grid: { color: GRID },
          ticks: {
            color: AXIS,
            maxTicksLimit: 6,
            callback: (v) => formatValue(Number(v), unit, currency, { compact: true }),
          },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => titles[items[0]?.dataIndex ?? 0] ?? '',
            label: (item) => {
              const v = toNumber(item.raw as number | null);
              return item.datasetIndex === 0
                ? `${name}: ${format(v)}`
                : `${compareLabel} (${compareTitles[item.dataIndex] ?? ''}): ${format(v)}`;
            },
            footer: (items) => {
              const change = compare?.changes[items[0]?.dataIndex ?? -1];
              const d = describeChange(change, good, unit, currency);
              return d ? `Change: ${d.text}${d.verdict === 'neutral' ? '' : ` (${d.verdict})`}` : '';
            },
          },
        },
      },
    },
  } as ChartConfiguration;
}

/**
 * A metric's buckets as a Chart.js bar or line chart, with the comparison overlaid.
 * Chart.js is fetched after the first render. The canvas is an image to assistive tech:
 * the numbers are in the table that goes with it.
 */
export function SeriesChart(props: SeriesChartProps) {
  const { series, name, compareLabel, currency, timeZone, good, className } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  const config = useMemo(
    () => buildConfig({ series, name, compareLabel, currency, timeZone, good }),
    [series, name, compareLabel, currency, timeZone, good],
  );

  useEffect(() => {
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
  }, [config]);

  const first = series.buckets[0];
  const last = series.buckets[series.buckets.length - 1];
  const description = `${series.kind === 'flow' ? 'Bar' : 'Line'} chart of ${name} by ${series.granularity}${
    first && last
      ? `, ${formatBucket(first.start, series.granularity, timeZone, 'long')} to ${formatBucket(last.start, series.granularity, timeZone, 'long')}`
      : ''
  }${compareLabel ? `, compared with the ${compareLabel.toLowerCase()}` : ''}. The table below lists every value.`;

  return (
    <div className={className}>
      {state === 'failed' && (
        <Alert tone="warning" className="mb-3">
          The chart could not be loaded. The numbers are in the table below.
        </Alert>
      )}
      <div className={cn('relative h-64 sm:h-80', state === 'failed' && 'hidden')}>
        {state === 'loading' && <div aria-hidden="true" className="absolute inset-0 animate-pulse rounded-md bg-gray-100" />}
        <canvas ref={canvas} role="img" aria-label={description} />
      </div>
      <ul className="mt-3 flex flex-wrap gap-x-5 gap-y-1 text-sm text-gray-700" aria-label="Legend">
        <li className="flex items-center gap-2">
          <span aria-hidden="true" className={cn('inline-block w-4', series.kind === 'flow' ? 'h-3 rounded-sm bg-indigo-600' : 'h-0.5 bg-indigo-600')} />
          {name}
        </li>
        {compareLabel && (
          <li className="flex items-center gap-2">
            <span
              aria-hidden="true"
              className={cn(
                'inline-block w-4',
                series.kind === 'flow' ? 'h-3 rounded-sm bg-gray-400' : 'h-0 border-t-2 border-dashed border-gray-500',
              )}
            />
            {compareLabel}
          </li>
        )}
      </ul>
    </div>
  );
}
