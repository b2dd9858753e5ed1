/**
 * Date ranges for a metric's series: the presets (last 30 days … 5 years), the sensible
 * granularity for each, and the conversion of calendar dates in the organization's time
 * zone into the RFC 3339 instants the server takes. Ranges start on a bucket boundary so
 * that every bucket is whole (the last one runs to the end of today).
 */
import type { Granularity } from '@/lib/api';

export type RangePreset = '30d' | '90d' | '12m' | '3y' | '5y' | 'custom';

export const RANGE_OPTIONS: { value: RangePreset; label: string }[] = [
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: '12m', label: 'Last 12 months' },
  { value: '3y', label: 'Last 3 years' },
  { value: '5y', label: 'Last 5 years' },
  { value: 'custom', label: 'Custom dates…' },
];

export const GRANULARITY_OPTIONS: { value: Granularity; label: string }[] = [
  { value: 'day', label: 'Day' },
  { value: 'week', label: 'Week' },
  { value: 'month', label: 'Month' },
  { value: 'quarter', label: 'Quarter' },
  { value: 'year', label: 'Year' },
];

/** Calendar dates, inclusive, as `YYYY-MM-DD` in the organization's time zone. */
export interface DateRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

function parse(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return iso(new Date(parse(date).getTime() + days * DAY_MS));
}

/** Moves by whole months from the first of `date`'s month. */
function firstOfMonthPlus(date: string, months: number): string {
  const d = parse(date);
  return iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1)));
}

/** The first date of the bucket holding `date` (weeks start on Monday, as on the server). */
export function alignDate(date: string, granularity: Granularity): string {
  const d = parse(date);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (granularity) {
    case 'day':
      return date;
    case 'week':
      return addDays(date, -((d.getUTCDay() + 6) % 7));
    case 'month':
      return iso(new Date(Date.UTC(y, m, 1)));
    case 'quarter':
      return iso(new Date(Date.UTC(y, m - (m % 3), 1)));
    case 'year':
      return iso(new Date(Date.UTC(y, 0, 1)));
  }
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(instant: number, timeZone: string): number[] {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(instant));
  return ['year', 'month', 'day', 'hour', 'minute', 'second'].map((t) =>
    Number(parts.find((p) => p.type === t)?.value ?? 0),
  );
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const [y, mo, d, h, mi, s] = partsIn(instant, timeZone);
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(instant / 1000) * 1000;
}

function validZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}

/** Today's date in `timeZone`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const [y, m, d] = partsIn(now.getTime(), validZone(timeZone));
  return iso(new Date(Date.UTC(y, m - 1, d)));
}

/** The instant `date` begins in `timeZone` (after a gap when midnight does not exist that day). */
export function startOfDay(date: string, timeZone: string): Date {
  const zone = validZone(timeZone);
  const wall = parse(date).getTime();
  const first = wall - offsetAt(wall, zone);
  const second = wall - offsetAt(first, zone);
  for (const candidate of [first, second]) {
    if (candidate + offsetAt(candidate, zone) === wall) return new Date(candidate);
  }
  // Midnight was skipped (clocks jumped forward): the day begins at the jump, the later one.
  return new Date(Math.max(first, second));
}

/** RFC 3339 without fractional seconds. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The calendar dates a preset covers, ending today. */
export function presetRange(preset: Exclude<RangePreset, 'custom'>, today: string): DateRange {
  const from = {
    '30d': () => addDays(today, -29),
    '90d': () => addDays(today, -89),
    '12m': () => firstOfMonthPlus(today, -11),
    '3y': () => firstOfMonthPlus(today, -35),
    '5y': () => firstOfMonthPlus(today, -59),
  }[preset]();
  return { from, to: today };
}

export const DEFAULT_GRANULARITY: Record<Exclude<RangePreset, 'custom'>, Granularity> = {
  '30d': 'day',
  '90d': 'week',
  '12m': 'month',
  '3y': 'month',
  '5y': 'quarter',
};

/** A granularity that gives a readable number of buckets for a custom range. */
export function granularityFor(range: DateRange): Granularity {
  const days = (parse(range.to).getTime() - parse(range.from).getTime()) / DAY_MS + 1;
  if (days <= 92) return 'day';
  if (days <= 366) return 'week';
  if (days <= 3 * 366) return 'month';
  if (days <= 10 * 366) return 'quarter';
  return 'year';
}

/**
 * The `from` and `to` instants for a range cut by `granularity` in `timeZone`: from the start
 * of the bucket holding the first date to the end of the last date.
 */
export function seriesWindow(range: DateRange, granularity: Granularity, timeZone: string) {
  return {
    from: rfc3339(startOfDay(alignDate(range.from, granularity), timeZone)),
    to: rfc3339(startOfDay(addDays(range.to, 1), timeZone)),
  };
}
