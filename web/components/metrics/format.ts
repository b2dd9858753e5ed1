/**
 * How metrics read for people: names, values by unit (currency in the organization's
 * currency), changes with their direction and verdict, and bucket labels in the
 * organization's time zone. Values arrive as decimal strings; Number() is used here only
 * to format, never to add up.
 */
import type {
  GoodDirection,
  Granularity,
  MetricCategory,
  MetricChange,
  MetricKind,
  MetricUnit,
} from '@/lib/api';

export const CATEGORY_LABELS: Record<MetricCategory, string> = {
  financial: 'Financial',
  customer: 'Customer',
  operational: 'Operational',
  growth: 'Growth',
  risk: 'Risk',
};

/** How a bucket's value is made, in words. */
export const KIND_LABELS: Record<MetricKind, string> = {
  flow: 'Summed over each period',
  stock: 'Last value in each period',
  rate: 'Averaged over each period',
};

const ACRONYMS = new Set(['mrr', 'arr', 'nps', 'ebit', 'cac', 'ltv', 'aov', 'kpi', 'api', 'csv']);

/** `cash_balance` → "Cash balance", `new_mrr` → "New MRR". */
export function humanizeMetric(name: string): string {
  const words = name.split(/[_\s]+/).filter(Boolean);
  return words
    .map((w, i) => {
      const lower = w.toLowerCase();
      if (ACRONYMS.has(lower)) return lower.toUpperCase();
      return i === 0 ? lower.charAt(0).toUpperCase() + lower.slice(1) : lower;
    })
    .join(' ');
}

/** A decimal string as a number for drawing and formatting; null when absent or unparseable. */
export function toNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

const formatters = new Map<string, Intl.NumberFormat>();

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, options);
    } catch {
      // An unknown currency code: show the plain number rather than fail.
      f = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, signDisplay: options.signDisplay });
    }
    formatters.set(key, f);
  }
  return f;
}

export interface FormatOptions {
  /** Short forms for axes: "$1.2M", "45K". */
  compact?: boolean;
  /** "+12" and "−3" (zero has no sign). */
  signed?: boolean;
}

/**
 * A value in its unit: currency in `currency`, ratios (fractions) and percents (0–100) as
 * percentages, counts as integers, hours and days with their unit.
 */
export function formatValue(
  value: string | number | null | undefined,
  unit: MetricUnit,
  currency: string,
  { compact = false, signed = false }: FormatOptions = {},
): string {
  const n = toNumber(value);
  if (n === null) return '—';
  const base: Intl.NumberFormatOptions = signed ? { signDisplay: 'exceptZero' } : {};
  if (compact) Object.assign(base, { notation: 'compact', maximumFractionDigits: 1 });
  switch (unit) {
    case 'currency':
      return numberFormat({
        ...base,
        style: 'currency',
        currency,
        // Cents matter on small amounts only.
        ...(compact || Math.abs(n) >= 1000 ? { maximumFractionDigits: compact ? 1 : 0 } : {}),
      }).format(n);
    case 'count':
      return numberFormat({ ...base, maximumFractionDigits: compact ? 1 : 0 }).format(n);
    case 'ratio':
    case 'percent':
      return numberFormat({ ...base, style: 'percent', maximumFractionDigits: 2 }).format(
        unit === 'ratio' ? n : n / 100,
      );
    case 'hours':
    case 'days':
      return numberFormat({
        ...base,
        style: 'unit',
        unit: unit === 'hours' ? 'hour' : 'day',
        unitDisplay: compact ? 'short' : 'long',
        maximumFractionDigits: 1,
      }).format(n);
    case 'score':
      return numberFormat({ ...base, maximumFractionDigits: 1 }).format(n);
  }
}

export type Trend = 'up' | 'down' | 'flat';
export type Verdict = 'better' | 'worse' | 'neutral';

export interface ChangeDescription {
  trend: Trend;
  /** Whether the move is good given the metric's good direction. */
  verdict: Verdict;
  /** "+12.5%", or the absolute change when there is no percentage ("+$1,200", "+2 pts"). */
  text: string;
}

/** What a change says, or null when there was nothing to compare with. */
export function describeChange(
  change: MetricChange | null | undefined,
  good: GoodDirection,
  unit: MetricUnit,
  currency: string,
): ChangeDescription | null {
  const percent = toNumber(change?.percent);
  const absolute = toNumber(change?.absolute);
  const sign = Math.sign(absolute ?? percent ?? Number.NaN);
  if (Number.isNaN(sign)) return null;
  const trend: Trend = sign > 0 ? 'up' : sign < 0 ? 'down' : 'flat';
  const verdict: Verdict =
    trend === 'flat' || good === 'neutral' ? 'neutral' : (trend === 'up') === (good === 'up') ? 'better' : 'worse';
  let text: string;
  if (percent !== null) {
    text = numberFormat({ style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(percent);
  } else if (unit === 'ratio' || unit === 'percent') {
    // A change of a percentage is in percentage points, not percent.
    const points = unit === 'ratio' ? absolute! * 100 : absolute!;
    text = `${numberFormat({ maximumFractionDigits: 2, signDisplay: 'exceptZero' }).format(points)} pts`;
  } else {
    text = formatValue(absolute, unit, currency, { signed: true });
  }
  return { trend, verdict, text };
}

// ---------------------------------------------------------------------------
// Dates, in the organization's time zone
// ---------------------------------------------------------------------------

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let f = dateFormatters.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(undefined, { ...options, timeZone });
    } catch {
      f = new Intl.DateTimeFormat(undefined, { ...options, timeZone: 'UTC' });
    }
    dateFormatters.set(key, f);
  }
  return f;
}

/** The month (0–11) and year of an instant in `timeZone`. */
function monthAndYear(date: Date, timeZone: string): { month: number; year: number } {
  const parts = dateFormat(timeZone, { year: 'numeric', month: 'numeric' }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { month: get('month') - 1, year: get('year') };
}

/**
 * A bucket's label from its start: `short` for axes ("Nov 24", "Nov 2025", "Q4 2025"),
 * `long` for tooltips and tables ("Nov 24, 2025", "Week of Nov 24, 2025", "November 2025").
 */
export function formatBucket(start: string, granularity: Granularity, timeZone: string, style: 'short' | 'long'): string {
  const date = new Date(start);
  if (Number.isNaN(date.getTime())) return start;
  switch (granularity) {
    case 'day':
      return dateFormat(
        timeZone,
        style === 'short' ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' },
      ).format(date);
    case 'week': {
      const day = dateFormat(
        timeZone,
        style === 'short' ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' },
      ).format(date);
      return style === 'short' ? day : `Week of ${day}`;
    }
    case 'month':
      return dateFormat(timeZone, { year: 'numeric', month: style === 'short' ? 'short' : 'long' }).format(date);
    case 'quarter': {
      const { month, year } = monthAndYear(date, timeZone);
      return `Q${Math.floor(month / 3) + 1} ${year}`;
    }
    case 'year':
      return String(monthAndYear(date, timeZone).year);
  }
}

/** A bucket inside a sentence: "the week of Nov 24, 2025", "November 2025". */
export function bucketPhrase(start: string, granularity: Granularity, timeZone: string): string {
  if (granularity === 'week') return `the week of ${formatBucket(start, 'day', timeZone, 'long')}`;
  return formatBucket(start, granularity, timeZone, 'long');
}

/** A calendar date (`YYYY-MM-DD`, as date inputs use) for people: "Nov 24, 2025". */
export function formatPlainDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  return dateFormat('UTC', { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

/** An instant as a date in `timeZone`: "Nov 24, 2025". */
export function formatInstantDate(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFormat(timeZone, { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}
