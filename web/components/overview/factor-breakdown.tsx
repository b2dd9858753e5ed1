import type { CategoryScore } from '@/lib/api';
import { CATEGORY_LABELS } from '../metrics/format';
import { Badge } from '../ui/badge';
import { cn } from '../ui/cn';
import { formatFactorValue, formatScore, formatShare, factorLabel } from './format';

/**
 * Every factor of one category: its KPI value, the points it scores, the share of the overall
 * it carries, the benchmark and its source; an absent factor says why.
 */
export function FactorBreakdown({ category, currency }: { category: CategoryScore; currency: string }) {
  const label = CATEGORY_LABELS[category.name] ?? category.name;
  return (
    <section
      id="factor-breakdown"
      aria-labelledby="factor-breakdown-title"
      className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-gray-200 sm:p-6"
    >
      <h2 id="factor-breakdown-title" className="text-base font-semibold text-gray-900">
        {label} factors
      </h2>
      <p className="mt-1 text-sm text-gray-600">
        Score {formatScore(category.score)} from {category.factors.filter((f) => f.score !== null).length} of{' '}
        {category.factors.length} factors. Absent factors are left out of the average, never counted as zero.
      </p>
      <ul className="mt-4 space-y-3" aria-label={`${label} factors`}>
        {category.factors.map((f) => {
          const absent = f.score === null;
          return (
            <li key={f.name} className={cn('rounded-lg p-3 ring-1 ring-gray-200', absent && 'bg-gray-50')}>
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <h3 className="text-sm font-semibold text-gray-900">{factorLabel(f.name)}</h3>
                <div className="flex items-center gap-2">
                  {f.optional && <Badge>Optional</Badge>}
                  {absent && <Badge tone="amber">No data</Badge>}
                </div>
              </div>
              <p className="mt-0.5 text-xs text-gray-600">{f.kpi}</p>
              <dl className="mt-2 grid grid-cols-3 gap-2 text-sm">
                <div>
                  <dt className="text-xs text-gray-600">Value</dt>
                  <dd className="font-medium text-gray-900">{formatFactorValue(f.value, f.unit, currency)}</dd>
                </div>
                <div>
                  <dt className="text-xs text-gray-600">Points</dt>
                  <dd className="font-medium text-gray-900">{formatScore(f.score)}</dd>
                </div>
                <div>
                  <dt className="text-xs text-gray-600">Weight</dt>
                  <dd className="font-medium text-gray-900">{formatShare(f.effective_weight, 1)}</dd>
                </div>
              </dl>
              {f.note && <p className="mt-2 text-xs text-gray-700">Note: {f.note}</p>}
              {f.absent_reason && (
                <p className="mt-2 text-xs text-gray-800">
                  <span className="font-medium">Why it is missing:</span> {f.absent_reason}
                </p>
              )}
              <p className="mt-2 text-xs text-gray-700">
                <span className="font-medium">Benchmark:</span> {f.benchmark}
              </p>
              <p className="mt-1 text-xs text-gray-600">
                <span className="font-medium">Source:</span> {f.source}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
