import type { ScoreDriver } from '@/lib/api';
import { CATEGORY_LABELS } from '../metrics/format';
import { EmptyState } from '../ui/card';
import { cn } from '../ui/cn';
import { factorLabel, formatPoints, formatScore } from './format';

/** Changes smaller than this (in points of the overall) are rounding noise. */
const NOISE = 0.05;

/** The factors that moved the overall most since the previous score, largest first. */
export function DriversList({ drivers, limit = 5 }: { drivers: ScoreDriver[]; limit?: number }) {
  const top = drivers
    .filter((d) => Math.abs(d.change) >= NOISE)
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change))
    .slice(0, limit);
  if (top.length === 0) {
    return (
      <EmptyState>
        {drivers.length === 0
          ? 'No drivers yet: they appear once there is an earlier score to compare with.'
          : 'Nothing moved the score noticeably since the previous calculation.'}
      </EmptyState>
    );
  }
  return (
    <ol className="divide-y divide-gray-100" aria-label="Top drivers">
      {top.map((d) => {
        const up = d.change > 0;
        return (
          <li key={`${d.category}-${d.factor}`} className="flex items-start justify-between gap-3 py-2">
            <div>
              <p className="text-sm font-medium text-gray-900">{factorLabel(d.factor)}</p>
              <p className="text-xs text-gray-600">
                {CATEGORY_LABELS[d.category] ?? d.category} · factor score {formatScore(d.previous_score)} →{' '}
                {formatScore(d.current_score)}
              </p>
            </div>
            <p className={cn('shrink-0 text-sm font-semibold', up ? 'text-green-700' : 'text-red-700')}>
              <span aria-hidden="true">{up ? '▲ ' : '▼ '}</span>
              {formatPoints(d.change)}
              <span className="sr-only">{up ? ' (raised the overall)' : ' (lowered the overall)'}</span>
            </p>
          </li>
        );
      })}
    </ol>
  );
}
