import Link from 'next/link';
import { METRIC_CATEGORIES, type MetricSummary } from '@/lib/api';
import { ChangeIndicator } from './change-indicator';
import { CATEGORY_LABELS, formatInstantDate, formatValue, humanizeMetric } from './format';
import { Sparkline } from './sparkline';

/** The detail page of a metric (a query parameter: a static export has no dynamic segments). */
export function metricHref(metricType: string): string {
  return `/metrics/?m=${encodeURIComponent(metricType)}`;
}

/** Every metric with data, grouped by category in a fixed order. */
export function SummaryGrid({
  items,
  currency,
  timeZone,
}: {
  items: MetricSummary[];
  currency: string;
  timeZone: string;
}) {
  return (
    <div className="space-y-8">
      {METRIC_CATEGORIES.map((category) => {
        const metrics = items.filter((m) => m.category === category);
        if (metrics.length === 0) return null;
        const id = `metrics-${category}`;
        return (
          <section key={category} aria-labelledby={id}>
            <h2 id={id} className="text-base font-semibold text-gray-900">
              {CATEGORY_LABELS[category]}
            </h2>
            <ul className="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
              {metrics.map((m) => (
                <MetricCard key={m.metric_type} metric={m} currency={currency} timeZone={timeZone} />
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

function MetricCard({ metric, currency, timeZone }: { metric: MetricSummary; currency: string; timeZone: string }) {
  const name = humanizeMetric(metric.metric_type);
  // For a flow the latest point is one day's worth; the 30-day total says more beside it.
  // (The server's 30 days end on the metric's latest day with data, which may be before today.)
  const windowLabel = metric.kind === 'flow' ? '30-day total' : metric.kind === 'rate' ? '30-day average' : null;
  return (
    <li className="relative flex flex-col gap-2 rounded-xl bg-white p-4 shadow-sm ring-1 ring-gray-200 focus-within:ring-2 focus-within:ring-indigo-600 hover:ring-gray-300">
      <h3 className="text-sm font-medium text-gray-700">
        {/* The link covers the whole card; its name is the metric's. */}
        <Link href={metricHref(metric.metric_type)} className="after:absolute after:inset-0 focus-visible:outline-none">
          {name}
        </Link>
      </h3>
      <div className="flex items-end justify-between gap-3">
        <div className="min-w-0">
          <p className="truncate text-2xl font-semibold text-gray-900 tabular-nums">
            {formatValue(metric.latest.value, metric.unit, currency)}
          </p>
          <p className="text-xs text-gray-600">Latest, {formatInstantDate(metric.latest.recorded_at, timeZone)}</p>
        </div>
        <Sparkline values={metric.sparkline} className="h-8 w-24 shrink-0 text-indigo-600" />
      </div>
      {windowLabel && metric.current !== null && (
        <p className="text-sm text-gray-700">
          {windowLabel}: <span className="font-medium tabular-nums">{formatValue(metric.current, metric.unit, currency)}</span>
        </p>
      )}
      <ChangeIndicator
        change={metric.change}
        good={metric.good_direction}
        unit={metric.unit}
        currency={currency}
        against="vs the 30 days before"
      />
    </li>
  );
}

/** Placeholder cards while the summary loads. */
export function SummarySkeleton() {
  return (
    <div role="status" aria-label="Loading metrics…" className="space-y-3">
      <div className="h-5 w-28 animate-pulse rounded bg-gray-200" />
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {Array.from({ length: 6 }, (_, i) => (
          <div key={i} className="h-36 animate-pulse rounded-xl bg-white ring-1 ring-gray-200">
            <div className="space-y-3 p-4">
              <div className="h-4 w-24 rounded bg-gray-200" />
              <div className="h-7 w-32 rounded bg-gray-200" />
              <div className="h-4 w-40 rounded bg-gray-100" />
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
