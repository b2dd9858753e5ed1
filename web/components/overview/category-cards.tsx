import type { CategoryScore, ScoreCategory } from '@/lib/api';
import { CATEGORY_LABELS } from '../metrics/format';
import { cn } from '../ui/cn';
import { BAND_LABELS, BAND_STROKE, BAND_TEXT, formatScore, formatShare, scoreBand } from './format';

/**
 * The five sub-scores, each with its coverage (how much of the category has data). A category
 * without a score says which metrics would unlock it. Each card opens its factor breakdown.
 */
export function CategoryCards({
  categories,
  selected,
  onSelect,
}: {
  categories: CategoryScore[];
  selected: ScoreCategory | null;
  onSelect: (name: ScoreCategory) => void;
}) {
  return (
    <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-5" aria-label="Category scores">
      {categories.map((c) => {
        const band = scoreBand(c.score);
        const label = CATEGORY_LABELS[c.name] ?? c.name;
        const open = selected === c.name;
        return (
          <li key={c.name} className="flex flex-col rounded-xl bg-white p-4 shadow-sm ring-1 ring-gray-200">
            <h3 className="text-sm font-semibold text-gray-900">{label}</h3>
            <p className="mt-1 flex items-baseline gap-2">
              <span className="text-2xl font-bold text-gray-900">{formatScore(c.score)}</span>
              <span className={cn('text-xs font-medium', BAND_TEXT[band])}>{BAND_LABELS[band]}</span>
            </p>
            {c.score !== null && (
              <div aria-hidden="true" className="mt-2 h-1.5 rounded-full bg-gray-100">
                <div
                  className="h-1.5 rounded-full"
                  style={{ width: `${Math.min(Math.max(c.score, 0), 100)}%`, backgroundColor: BAND_STROKE[band] }}
                />
              </div>
            )}
            <dl className="mt-2 space-y-0.5 text-xs text-gray-600">
              <div className="flex justify-between gap-2">
                <dt>Data coverage</dt>
                <dd className="font-medium text-gray-800">{formatShare(c.coverage)}</dd>
              </div>
              <div className="flex justify-between gap-2">
                <dt>Weight in the overall</dt>
                <dd className="font-medium text-gray-800">{formatShare(c.effective_weight)}</dd>
              </div>
            </dl>
            {c.hint && (
              <p className={cn('mt-2 text-xs', c.score === null ? 'text-gray-800' : 'text-gray-600')}>{c.hint}</p>
            )}
            <button
              type="button"
              onClick={() => onSelect(c.name)}
              aria-expanded={open}
              aria-controls="factor-breakdown"
              className="mt-auto pt-3 text-left text-sm font-medium text-indigo-700 underline hover:text-indigo-900 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              {open ? `Showing ${label.toLowerCase()} factors` : `See ${label.toLowerCase()} factors`}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

export function CategoryCardsSkeleton() {
  return (
    <ul aria-hidden="true" className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-5">
      {Array.from({ length: 5 }, (_, i) => (
        <li key={i} className="h-36 animate-pulse rounded-xl bg-gray-100" />
      ))}
    </ul>
  );
}
