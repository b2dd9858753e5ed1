import type { GoodDirection, MetricChange, MetricUnit } from '@/lib/api';
import { cn } from '../ui/cn';
import { describeChange, type Trend, type Verdict } from './format';

const ARROWS: Record<Trend, string> = { up: '▲', down: '▼', flat: '■' };

const TONES: Record<Verdict, string> = {
  better: 'text-green-700',
  worse: 'text-red-700',
  neutral: 'text-gray-700',
};

/**
 * A change with its direction and whether it is good: colour, and never colour alone (an
 * arrow, the signed figure and the words "better" or "worse").
 */
export function ChangeIndicator({
  change,
  good,
  unit,
  currency,
  against,
  className,
}: {
  change: MetricChange | null | undefined;
  good: GoodDirection;
  unit: MetricUnit;
  currency: string;
  /** What it compares with: "vs the 30 days before". */
  against: string;
  className?: string;
}) {
  const d = describeChange(change, good, unit, currency);
  if (!d) return <p className={cn('text-sm text-gray-600', className)}>No earlier data to compare with</p>;
  return (
    <p className={cn('text-sm', className)}>
      <span className={cn('font-semibold', TONES[d.verdict])}>
        <span aria-hidden="true">{ARROWS[d.trend]} </span>
        {d.trend === 'flat' ? 'No change' : d.text}
        {d.verdict !== 'neutral' && ` (${d.verdict})`}
      </span>{' '}
      <span className="text-gray-600">{against}</span>
    </p>
  );
}
