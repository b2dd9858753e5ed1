/**
 * How alerts and alert rules read for people: severities, targets, conditions in words
 * ("Revenue 30-day total below $20,000 · high · for 2 checks · cooldown 1h"), alert values
 * by unit, and times (relative, with the absolute time in the organization's time zone).
 * Values stay decimal strings until formatted here.
 */
import type {
  AlertCondition,
  AlertOp,
  AlertRule,
  AlertSeverity,
  AlertStatus,
  AlertTarget,
  MetricDefinition,
  ScoreTarget,
} from '@/lib/api';
import { formatValue, humanizeMetric, toNumber } from '../metrics/format';
import { factorLabel } from '../overview/format';

export const SEVERITY_LABELS: Record<AlertSeverity, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

/** Badge colours; the word is always shown too. */
export const SEVERITY_STYLE: Record<AlertSeverity, string> = {
  critical: 'bg-red-700 text-white ring-red-800',
  high: 'bg-orange-100 text-orange-900 ring-orange-300',
  medium: 'bg-amber-50 text-amber-900 ring-amber-300',
  low: 'bg-sky-50 text-sky-900 ring-sky-200',
};

/** A card's left edge, repeating the severity. */
export const SEVERITY_EDGE: Record<AlertSeverity, string> = {
  critical: 'border-l-red-700',
  high: 'border-l-orange-500',
  medium: 'border-l-amber-400',
  low: 'border-l-sky-400',
};

export const STATUS_LABELS: Record<AlertStatus, string> = {
  active: 'Active',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};

export const SCORE_TARGET_LABELS: Record<ScoreTarget, string> = {
  overall: 'Overall score',
  financial: 'Financial score',
  customer: 'Customer score',
  operational: 'Operational score',
  growth: 'Growth score',
  risk: 'Risk score',
};

/**
 * The score model's factors (docs/scoring.md), for when no score breakdown is at hand to
 * list them.
 */
export const FACTOR_NAMES = [
  'profit_margin',
  'cash_flow_ratio',
  'cash_runway',
  'burn_rate',
  'current_ratio',
  'churn_rate',
  'net_revenue_retention',
  'ltv_to_cac',
  'cac_payback',
  'cac_trend',
  'nps',
  'gross_margin',
  'days_sales_outstanding',
  'uptime',
  'inventory_turnover',
  'revenue_per_employee',
  'process_efficiency',
  'revenue_growth',
  'rule_of_40',
  'saas_quick_ratio',
  'lead_growth',
  'conversion_rate_trend',
  'altman_z',
  'burn_multiple',
  'revenue_volatility',
  'customer_concentration',
  'compliance',
] as const;

export type TargetKind = 'metric' | 'score' | 'factor';

export const TARGET_KIND_LABELS: Record<TargetKind, string> = {
  metric: 'A metric',
  score: 'A health score',
  factor: 'A score factor',
};

export const OP_LABELS: Record<AlertOp, string> = {
  above: 'Is above',
  below: 'Is below',
  change_above: 'Its change is above',
  change_below: 'Its change is below',
  change_pct_above: 'Its change in % is above',
  change_pct_below: 'Its change in % is below',
  anomaly: 'Looks anomalous',
};

const CHANGE_OPS: ReadonlySet<AlertOp> = new Set([
  'change_above',
  'change_below',
  'change_pct_above',
  'change_pct_below',
]);

/** A change over a window: the window is required. */
export function isChangeOp(op: string): boolean {
  return CHANGE_OPS.has(op as AlertOp);
}

export function isPercentOp(op: string): boolean {
  return op === 'change_pct_above' || op === 'change_pct_below';
}

/**
 * The conditions a target supports, as the server checks them: anomaly detection only on
 * metrics, changes over a window not on factors.
 */
export function opsFor(kind: TargetKind): AlertOp[] {
  switch (kind) {
    case 'metric':
      return ['above', 'below', 'change_above', 'change_below', 'change_pct_above', 'change_pct_below', 'anomaly'];
    case 'score':
      return ['above', 'below', 'change_above', 'change_below', 'change_pct_above', 'change_pct_below'];
    case 'factor':
      return ['above', 'below'];
  }
}

export function targetKind(target: AlertTarget): TargetKind {
  if ('metric_type' in target) return 'metric';
  if ('score' in target) return 'score';
  return 'factor';
}

/** "Revenue", "Overall score", "Cash runway". */
export function targetLabel(target: AlertTarget): string {
  if ('metric_type' in target) return humanizeMetric(target.metric_type);
  if ('score' in target) return SCORE_TARGET_LABELS[target.score] ?? humanizeMetric(`${target.score}_score`);
  return factorLabel(target.factor);
}

const WINDOW_UNITS: Record<string, [string, string]> = {
  h: ['hour', 'hours'],
  d: ['day', 'days'],
  w: ['week', 'weeks'],
};

function parseWindow(window: string): { n: number; unit: [string, string] } | null {
  const match = /^(\d+)([hdw])$/.exec(window.trim());
  if (!match) return null;
  return { n: Number(match[1]), unit: WINDOW_UNITS[match[2]] };
}

/** "30d" → "30 days", "1w" → "1 week". */
export function windowPhrase(window: string): string {
  const parsed = parseWindow(window);
  if (!parsed) return window;
  return `${parsed.n} ${parsed.n === 1 ? parsed.unit[0] : parsed.unit[1]}`;
}

/** "30d" → "30-day", as an adjective. */
function windowAdjective(window: string): string {
  const parsed = parseWindow(window);
  if (!parsed) return window;
  return `${parsed.n}-${parsed.unit[0]}`;
}

const numberFormat = (digits: number) => new Intl.NumberFormat(undefined, { maximumFractionDigits: digits });

/**
 * A rule's threshold or an alert's value in the target's unit: a metric in its unit (money in
 * the organization's currency), a percentage change with "%", scores with one decimal.
 */
export function formatConditionValue(
  value: string | number | null | undefined,
  target: AlertTarget,
  op: AlertOp | undefined,
  metric: Pick<MetricDefinition, 'unit'> | undefined,
  currency: string,
): string {
  const n = toNumber(value);
  if (n === null) return '—';
  if (op && isPercentOp(op)) return `${numberFormat(2).format(n)} %`;
  if ('metric_type' in target && metric) return formatValue(n, metric.unit, currency);
  if ('score' in target) return numberFormat(1).format(n);
  return numberFormat(2).format(n);
}

/** "Revenue 30-day total", "Support resolution time hours (latest)", "Overall score". */
function subject(target: AlertTarget, condition: AlertCondition, metric: MetricDefinition | undefined): string {
  const label = targetLabel(target);
  const window = condition.window || null;
  if (condition.op === 'anomaly') return label;
  if (isChangeOp(condition.op)) return window ? `${label} ${windowAdjective(window)} change` : `${label} change`;
  if (!('metric_type' in target)) return window ? `${label} ${windowAdjective(window)} average` : label;
  if (!window) return `${label} (latest)`;
  switch (metric?.kind) {
    case 'flow':
      return `${label} ${windowAdjective(window)} total`;
    case 'rate':
      return `${label} ${windowAdjective(window)} average`;
    default:
      return `${label} over ${windowPhrase(window)}`;
  }
}

/** The condition in words: "Revenue 30-day total below $20,000". */
export function describeCondition(
  target: AlertTarget,
  condition: AlertCondition,
  metric: MetricDefinition | undefined,
  currency: string,
): string {
  const what = subject(target, condition, metric);
  if (condition.op === 'anomaly') {
    return `${what} looks anomalous against the last ${windowPhrase(condition.window || '7d')}`;
  }
  const value = formatConditionValue(condition.value, target, condition.op, metric, currency);
  const direction = condition.op.endsWith('above') ? 'above' : 'below';
  return `${what} ${direction} ${value}`;
}

/** "Revenue 30-day total below $20,000 · high · for 2 checks · cooldown 1h". */
export function summarizeRule(
  rule: Pick<AlertRule, 'target' | 'condition' | 'severity' | 'for_evaluations' | 'for_duration' | 'cooldown'>,
  metric: MetricDefinition | undefined,
  currency: string,
): string {
  const parts = [describeCondition(rule.target, rule.condition, metric, currency), rule.severity];
  if (rule.for_evaluations > 1) parts.push(`for ${rule.for_evaluations} checks`);
  if (rule.for_duration && !/^0+[smhd]?$/.test(rule.for_duration)) parts.push(`for ${rule.for_duration}`);
  if (rule.cooldown) parts.push(`cooldown ${rule.cooldown}`);
  return parts.join(' · ');
}

// ---------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "just now", "5 minutes ago", "yesterday", "3 months ago". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  let amount = (then - now) / 1000;
  if (Math.abs(amount) < 45) return 'just now';
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(amount) < size) return format.format(Math.round(amount), unit);
    amount /= size;
  }
  return format.format(Math.round(amount), 'year');
}

/** "Nov 24, 2026, 10:33 PM" in the organization's time zone. */
export function absoluteTime(iso: string, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(date);
  } catch {
    return date.toISOString();
  }
}
