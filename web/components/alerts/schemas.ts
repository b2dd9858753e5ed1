import * as z from 'zod/mini';
import {
  ALERT_OPS,
  ALERT_SEVERITIES,
  SCORE_TARGETS,
  type AlertRule,
  type AlertRuleInput,
  type AlertTarget,
  type ScoreTarget,
} from '@/lib/api';
import { textField } from '../auth/schemas';
import { isChangeOp, opsFor, targetKind, type TargetKind } from './format';

const DECIMAL = /^-?\d+(\.\d+)?$/;
/** "30d", "4w" (a window of days or weeks). */
export const WINDOW = /^[1-9]\d*[dw]$/;
/** "0s", "30m", "2h", "1d". */
const DURATION = /^\d+[smhd]$/;

const duration = z
  .string()
  .check(z.trim(), z.regex(DURATION, 'Use a duration such as 0s, 30m, 2h or 1d'));

/**
 * An alert rule as the form holds it (every field a string but the channels and the switch);
 * the checks mirror the server's: a value unless the condition is an anomaly, a window for a
 * change, anomaly detection on metrics only, no changes on factors.
 */
export const alertRuleSchema = z
  .object({
    name: textField('Name the rule, e.g. “Revenue is falling”', 200),
    target_kind: z.enum(['metric', 'score', 'factor'], 'Choose what to watch'),
    metric_type: z.string(),
    score: z.string(),
    factor: z.string(),
    op: z.enum(ALERT_OPS, 'Choose a condition'),
    value: z.string().check(z.trim()),
    window: z.string(),
    severity: z.enum(ALERT_SEVERITIES, 'Choose a severity'),
    for_evaluations: z
      .string()
      .check(
        z.trim(),
        z.refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 100, 'Enter a whole number from 1 to 100'),
      ),
    for_duration: duration,
    cooldown: duration,
    channels: z.array(z.string()),
    enabled: z.boolean(),
  })
  .check(
    z.superRefine((v, ctx) => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', message, path: [path], input: v });
      if (v.target_kind === 'metric' && !v.metric_type) issue('metric_type', 'Choose a metric');
      if (v.target_kind === 'score' && !(SCORE_TARGETS as readonly string[]).includes(v.score)) {
        issue('score', 'Choose a score');
      }
      if (v.target_kind === 'factor' && !v.factor) issue('factor', 'Choose a factor');
      if (!opsFor(v.target_kind).includes(v.op)) {
        issue(
          'op',
          v.op === 'anomaly'
            ? 'Anomaly detection works on metrics only'
            : 'Changes over a window work on metrics and scores only',
        );
      }
      if (v.op !== 'anomaly') {
        if (v.value === '') issue('value', 'Enter a value');
        else if (!DECIMAL.test(v.value)) issue('value', 'Enter a number, such as 20000 or -5.5');
      }
      if (isChangeOp(v.op) && v.window === '') issue('window', 'Choose the window the change is measured over');
      else if (v.window !== '' && !WINDOW.test(v.window)) issue('window', 'Use a window such as 30d or 4w');
    }),
  );
export type AlertRuleValues = z.input<typeof alertRuleSchema>;

/** Visible labels of the rule form's fields (server messages are prefixed with them). */
export const ALERT_RULE_LABELS = {
  name: 'Name',
  metric_type: 'Metric',
  score: 'Score',
  factor: 'Factor',
  op: 'Condition',
  value: 'Value',
  window: 'Window',
  severity: 'Severity',
  for_evaluations: 'Checks in a row',
  for_duration: 'Holds for at least',
  cooldown: 'Cooldown',
  channels: 'Notify',
  enabled: 'Enabled',
} as const;

/** The field of the form a server error names (`condition.value` → `value`). */
export function ruleFieldOf(field: string, kind: TargetKind): string {
  const targetField = kind === 'metric' ? 'metric_type' : kind;
  if (field === 'target' || field.startsWith('target.') || field.startsWith('target[')) return targetField;
  if (field === 'condition' || field === 'condition.op') return 'op';
  if (field.startsWith('condition.')) return field.slice('condition.'.length);
  if (/^channels[[.]/.test(field)) return 'channels';
  return field;
}

export const NEW_RULE: AlertRuleValues = {
  name: '',
  target_kind: 'metric',
  metric_type: '',
  score: 'overall',
  factor: '',
  op: 'below',
  value: '',
  window: '',
  severity: 'medium',
  for_evaluations: '1',
  for_duration: '0s',
  cooldown: '1h',
  channels: [],
  enabled: true,
};

/** A stored rule as the form's values. */
export function ruleToValues(rule: AlertRule): AlertRuleValues {
  const kind = targetKind(rule.target);
  return {
    name: rule.name,
    target_kind: kind,
    metric_type: 'metric_type' in rule.target ? rule.target.metric_type : '',
    score: 'score' in rule.target ? rule.target.score : 'overall',
    factor: 'factor' in rule.target ? rule.target.factor : '',
    op: rule.condition.op,
    value: rule.condition.value ?? '',
    window: rule.condition.window ?? '',
    severity: rule.severity,
    for_evaluations: String(rule.for_evaluations),
    for_duration: rule.for_duration,
    cooldown: rule.cooldown,
    channels: [...rule.channels],
    enabled: rule.enabled,
  };
}

/** The form's values as the body of POST or PATCH /alert-rules. */
export function valuesToInput(v: AlertRuleValues): AlertRuleInput {
  const target: AlertTarget =
    v.target_kind === 'metric'
      ? { metric_type: v.metric_type }
      : v.target_kind === 'score'
        ? { score: v.score as ScoreTarget }
        : { factor: v.factor };
  return {
    name: v.name.trim(),
    target,
    condition: {
      op: v.op,
      ...(v.op === 'anomaly' ? {} : { value: v.value.trim() }),
      // null clears a window on PATCH.
      window: v.window === '' ? null : v.window,
    },
    severity: v.severity,
    for_evaluations: Number(v.for_evaluations.trim()),
    for_duration: v.for_duration.trim(),
    cooldown: v.cooldown.trim(),
    channels: v.channels,
    enabled: v.enabled,
  };
}
