import Link from 'next/link';
import type { Insight, InsightSeverity } from '@/lib/api';
import { humanizeMetric } from '../metrics/format';
import { EmptyState } from '../ui/card';
import { cn } from '../ui/cn';
import { factorLabel, formatFactorValue, formatScore } from './format';

const SEVERITY_RANK: Record<InsightSeverity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

const SEVERITY_STYLE: Record<InsightSeverity, string> = {
  critical: 'bg-red-100 text-red-900 ring-red-300',
  high: 'bg-red-50 text-red-800 ring-red-200',
  medium: 'bg-amber-50 text-amber-900 ring-amber-300',
  low: 'bg-gray-50 text-gray-700 ring-gray-300',
  info: 'bg-indigo-50 text-indigo-800 ring-indigo-200',
};

const KIND_LABELS: Record<string, string> = {
  driver: 'Driver',
  recommendation: 'Recommendation',
  forecast: 'Forecast',
  runway: 'Runway',
  anomaly: 'Anomaly',
  trend_change: 'Trend change',
};

const SCORE_KEYS = new Set(['score', 'target_score', 'previous_score', 'current_score']);
const VALUE_KEYS = new Set(['value', 'target_value', 'previous_value', 'current_value']);

/** One evidence entry in words: scores as scores, values in the evidence's unit. */
function evidenceValue(key: string, value: unknown, unit: string | undefined, currency: string): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') {
    if (SCORE_KEYS.has(key)) return formatScore(value);
    if (VALUE_KEYS.has(key) && unit) return formatFactorValue(value, unit, currency);
    if (key === 'potential' || key === 'change') return `${value >= 0 ? '+' : ''}${value.toFixed(1)} pts`;
    return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(value);
  }
  if (key === 'factor' && typeof value === 'string') return factorLabel(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

function Evidence({ evidence, currency }: { evidence: Record<string, unknown>; currency: string }) {
  const unit = typeof evidence.unit === 'string' ? evidence.unit : undefined;
  const entries = Object.entries(evidence).filter(([key]) => key !== 'unit');
  if (entries.length === 0) return <p className="text-xs text-gray-600">No evidence attached.</p>;
  return (
    <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-xs sm:grid-cols-[max-content_1fr]">
      {entries.map(([key, value]) => (
        <div key={key} className="contents">
          <dt className="font-medium text-gray-700">{humanizeMetric(key)}</dt>
          <dd className="mb-1 break-words text-gray-900 sm:mb-0">{evidenceValue(key, value, unit, currency)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The insights, most severe first; each one's evidence opens below it. */
export function InsightsList({ insights, currency }: { insights: Insight[]; currency: string }) {
  if (insights.length === 0) {
    return <EmptyState>No insights yet. They are generated with each score once there is enough data.</EmptyState>;
  }
  const sorted = [...insights].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9));
  return (
    <ul className="space-y-3" aria-label="Insights">
      {sorted.map((insight) => (
        <li key={insight.id} className="rounded-lg p-3 ring-1 ring-gray-200">
          <div className="flex flex-wrap items-center gap-2">
            <span
              className={cn(
                'inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset capitalize',
                SEVERITY_STYLE[insight.severity] ?? SEVERITY_STYLE.info,
              )}
            >
              <span className="sr-only">Severity: </span>
              {insight.severity}
            </span>
            <span className="text-xs text-gray-600">{KIND_LABELS[insight.kind] ?? insight.kind}</span>
          </div>
          <h3 className="mt-1 text-sm font-semibold text-gray-900">{insight.title}</h3>
          <p className="mt-1 text-sm text-gray-700">{insight.body}</p>
          <details className="mt-2 group">
            <summary className="cursor-pointer text-sm font-medium text-indigo-700 hover:text-indigo-900 focus-visible:outline-2 focus-visible:outline-indigo-600">
              Evidence
            </summary>
            <div className="mt-2 space-y-2">
              <Evidence evidence={insight.evidence ?? {}} currency={currency} />
              {insight.metrics.length > 0 && (
                <p className="text-xs text-gray-700">
                  Based on:{' '}
                  {insight.metrics.map((m, i) => (
                    <span key={m}>
                      {i > 0 && ', '}
                      <Link
                        href={`/metrics/?m=${encodeURIComponent(m)}`}
                        className="text-indigo-700 underline hover:text-indigo-900"
                      >
                        {humanizeMetric(m)}
                      </Link>
                    </span>
                  ))}
                </p>
              )}
            </div>
          </details>
        </li>
      ))}
    </ul>
  );
}
