/**
 * How health scores read for people: scores 0–100 with one decimal, bands, factor values by
 * their unit, factor names. Null always reads as "not enough data", never as zero.
 */
import type { ScoreCategory } from '@/lib/api';
import { formatValue, humanizeMetric } from '../metrics/format';

export const SCORE_CATEGORIES: ScoreCategory[] = ['financial', 'customer', 'operational', 'growth', 'risk'];

/** A score as shown: "75.1"; "—" when there is not enough data. */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) return '—';
  return (Math.round(score * 10) / 10).toFixed(1);
}

/** A fraction as a whole percentage: 0.25 → "25%". */
export function formatShare(fraction: number | null | undefined, digits = 0): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)}%`;
}

export type Band = 'strong' | 'fair' | 'weak' | 'none';

/** The band a score falls in (read with words, not colour alone). */
export function scoreBand(score: number | null | undefined): Band {
  if (score === null || score === undefined || !Number.isFinite(score)) return 'none';
  if (score >= 70) return 'strong';
  if (score >= 40) return 'fair';
  return 'weak';
}

export const BAND_LABELS: Record<Band, string> = {
  strong: 'Healthy',
  fair: 'Needs attention',
  weak: 'At risk',
  none: 'Not enough data',
};

export const BAND_TEXT: Record<Band, string> = {
  strong: 'text-green-700',
  fair: 'text-amber-700',
  weak: 'text-red-700',
  none: 'text-gray-600',
};

export const BAND_STROKE: Record<Band, string> = {
  strong: '#15803d', // green-700
  fair: '#b45309', // amber-700
  weak: '#b91c1c', // red-700
  none: '#9ca3af', // gray-400
};

const FACTOR_NAMES: Record<string, string> = {
  ltv_to_cac: 'LTV to CAC',
  cac_payback: 'CAC payback',
  cac_trend: 'CAC trend',
  rule_of40: 'Rule of 40',
  altman_z: 'Altman Z',
  nps: 'NPS',
};

/** `net_revenue_retention` → "Net revenue retention". */
export function factorLabel(name: string): string {
  return FACTOR_NAMES[name] ?? humanizeMetric(name);
}

/** A factor's value in its unit; "—" when absent. */
export function formatFactorValue(value: number | null | undefined, unit: string, currency: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const n = (digits: number) =>
    new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
  switch (unit) {
    case 'ratio':
      return new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(value);
    case 'currency':
      return formatValue(value, 'currency', currency);
    case 'months':
      return `${n(1)} months`;
    case 'days':
      return `${n(1)} days`;
    case 'hours':
      return `${n(1)} hours`;
    case 'multiple':
      return `${n(2)}×`;
    case 'points':
      return `${n(1)} points`;
    case 'nps':
      return n(0);
    default:
      return n(2);
  }
}

/** A signed change in points of the overall: "+1.2 pts", "−0.4 pts". */
export function formatPoints(change: number): string {
  const rounded = Math.round(change * 10) / 10;
  const text = Math.abs(rounded).toFixed(1);
  return rounded > 0 ? `+${text} pts` : rounded < 0 ? `−${text} pts` : '0.0 pts';
}
