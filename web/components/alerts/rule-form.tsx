'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import {
  ALERT_SEVERITIES,
  api,
  SCORE_TARGETS,
  type AlertRule,
  type MetricDefinition,
  type MetricUnit,
} from '@/lib/api';
import { applyServerErrors } from '@/lib/forms';
import { useHealthScore, useMetricCatalog, useNotificationChannels } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { CATEGORY_LABELS, humanizeMetric } from '../metrics/format';
import { factorLabel } from '../overview/format';
import { Alert } from '../ui/alert';
import { Button } from '../ui/button';
import { Checkbox, Input, Select, type SelectOption } from '../ui/field';
import {
  FACTOR_NAMES,
  isChangeOp,
  isPercentOp,
  OP_LABELS,
  opsFor,
  SCORE_TARGET_LABELS,
  SEVERITY_LABELS,
  TARGET_KIND_LABELS,
  type TargetKind,
} from './format';
import {
  ALERT_RULE_LABELS,
  alertRuleSchema,
  NEW_RULE,
  ruleFieldOf,
  ruleToValues,
  valuesToInput,
  WINDOW,
  type AlertRuleValues,
} from './schemas';

const WINDOWS: SelectOption[] = [
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '14d', label: '14 days' },
  { value: '30d', label: '30 days' },
  { value: '60d', label: '60 days' },
  { value: '90d', label: '90 days' },
  { value: '4w', label: '4 weeks' },
  { value: '12w', label: '12 weeks' },
];

const UNIT_HINTS: Record<MetricUnit, string> = {
  currency: 'An amount in {currency}.',
  count: 'A count.',
  ratio: 'A fraction: 0.05 is 5 %.',
  percent: 'In percent: 5 is 5 %.',
  days: 'In days.',
  hours: 'In hours.',
  score: 'A score.',
};

function valueHint(
  kind: TargetKind,
  op: string,
  metric: MetricDefinition | undefined,
  factorUnit: string | undefined,
  currency: string,
) {
  if (isPercentOp(op)) return 'The change in percent over the window: 10 is a rise of 10 %, −10 a fall of 10 %.';
  const change = isChangeOp(op) ? 'The change over the window (negative for a fall). ' : '';
  if (kind === 'metric') {
    return `${change}${metric ? UNIT_HINTS[metric.unit].replace('{currency}', currency) : ''}`.trim() || undefined;
  }
  if (kind === 'score') return `${change}Scores run from 0 to 100.`;
  return factorUnit ? `In the factor’s unit (${factorUnit}${factorUnit === 'ratio' ? ': 0.05 is 5 %' : ''}).` : undefined;
}

function windowHint(op: string) {
  if (isChangeOp(op)) return 'Required: the change is measured over this window.';
  if (op === 'anomaly') return 'The history the latest value is compared with.';
  return 'Leave empty to check the latest value, or aggregate a window.';
}

/**
 * Creates or edits an alert rule. Mirrors the server's checks; its 422 field errors land on
 * the matching fields (`condition.value` on Value, `target` on the metric, score or factor).
 */
export function RuleForm({
  rule,
  onSaved,
  onCancel,
}: {
  /** The rule to edit; null for a new one. */
  rule: AlertRule | null;
  onSaved: (rule: AlertRule) => void;
  onCancel: () => void;
}) {
  const currency = useSession((s) => s.organization?.currency ?? 'USD');
  const [formError, setFormError] = useState<string | null>(null);
  const defaults = useMemo(() => (rule ? ruleToValues(rule) : NEW_RULE), [rule]);
  const {
    register,
    handleSubmit,
    setError,
    setValue,
    getValues,
    control,
    formState: { errors, isSubmitting },
  } = useForm<AlertRuleValues, unknown, AlertRuleValues>({
    resolver: zodResolver(alertRuleSchema),
    defaultValues: defaults,
  });
  const kind = useWatch({ control, name: 'target_kind' });
  const op = useWatch({ control, name: 'op' });
  const metricType = useWatch({ control, name: 'metric_type' });
  const factor = useWatch({ control, name: 'factor' });
  const windowValue = useWatch({ control, name: 'window' });

  const catalog = useMetricCatalog();
  const channels = useNotificationChannels(true);
  // The factors of the latest score's breakdown, when there is one.
  const score = useHealthScore(false, kind === 'factor');

  const metric = catalog.data?.find((m) => m.name === metricType);
  const metricOptions = useMemo<SelectOption[]>(() => {
    const items = [...(catalog.data ?? [])].sort(
      (a, b) =>
        Object.keys(CATEGORY_LABELS).indexOf(a.category) - Object.keys(CATEGORY_LABELS).indexOf(b.category) ||
        humanizeMetric(a.name).localeCompare(humanizeMetric(b.name)),
    );
    const options: SelectOption[] = items.map((m) => ({
      value: m.name,
      label: humanizeMetric(m.name),
      group: CATEGORY_LABELS[m.category] ?? m.category,
    }));
    // A rule on a metric the catalogue no longer lists still shows what it watches.
    if (defaults.metric_type && !options.some((o) => o.value === defaults.metric_type)) {
      options.unshift({ value: defaults.metric_type, label: humanizeMetric(defaults.metric_type) });
    }
    return [{ value: '', label: catalog.isPending ? 'Loading metrics…' : 'Select a metric…' }, ...options];
  }, [catalog.data, catalog.isPending, defaults.metric_type]);

  const factors = useMemo(() => {
    const fromScore = (score.data?.categories ?? []).flatMap((c) =>
      c.factors.map((f) => ({ name: f.name, unit: f.unit, category: c.name })),
    );
    return fromScore.length > 0
      ? fromScore
      : FACTOR_NAMES.map((name) => ({ name, unit: undefined as string | undefined, category: undefined }));
  }, [score.data]);
  const factorOptions = useMemo<SelectOption[]>(() => {
    const options: SelectOption[] = factors.map((f) => ({
      value: f.name,
      label: factorLabel(f.name),
      group: f.category ? CATEGORY_LABELS[f.category] : undefined,
    }));
    if (defaults.factor && !options.some((o) => o.value === defaults.factor)) {
      options.unshift({ value: defaults.factor, label: factorLabel(defaults.factor) });
    }
    return [{ value: '', label: 'Select a factor…' }, ...options];
  }, [factors, defaults.factor]);
  const factorUnit = factors.find((f) => f.name === factor)?.unit;

  const windowOptions = useMemo<SelectOption[]>(() => {
    const first = isChangeOp(op) ? 'Choose a window' : op === 'anomaly' ? 'Last 7 days (default)' : 'None: the latest value';
    const options = [{ value: '', label: first }, ...WINDOWS];
    if (windowValue && WINDOW.test(windowValue) && !WINDOWS.some((w) => w.value === windowValue)) {
      options.push({ value: windowValue, label: windowValue });
    }
    return options;
  }, [op, windowValue]);

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      const input = valuesToInput(values);
      const saved = rule ? await api.updateAlertRule(rule.id, input) : await api.createAlertRule(input);
      onSaved(saved);
    } catch (error) {
      setFormError(
        applyServerErrors(error, setError, ALERT_RULE_LABELS, (field) => ruleFieldOf(field, getValues('target_kind'))),
      );
    }
  });

  const targetKindField = register('target_kind', {
    // Keep the condition one the new target supports.
    onChange: (e: { target: { value: TargetKind } }) => {
      if (!opsFor(e.target.value).includes(getValues('op'))) setValue('op', 'below');
    },
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label={rule ? `Edit ${rule.name}` : 'New alert rule'}>
      {formError && <Alert tone="error">{formError}</Alert>}
      <Input label={ALERT_RULE_LABELS.name} autoComplete="off" error={errors.name?.message} {...register('name')} />

      <div className="grid gap-4 sm:grid-cols-2">
        <Select
          label="Watch"
          options={(Object.keys(TARGET_KIND_LABELS) as TargetKind[]).map((k) => ({ value: k, label: TARGET_KIND_LABELS[k] }))}
          error={errors.target_kind?.message}
          {...targetKindField}
        />
        {kind === 'metric' && (
          <Select
            label={ALERT_RULE_LABELS.metric_type}
            options={metricOptions}
            error={errors.metric_type?.message}
            hint={metric?.description}
            {...register('metric_type')}
            // Controlled too: the options arrive (and regroup) after the field's value is set.
            value={metricType}
          />
        )}
        {kind === 'score' && (
          <Select
            label={ALERT_RULE_LABELS.score}
            options={SCORE_TARGETS.map((s) => ({ value: s, label: SCORE_TARGET_LABELS[s] }))}
            error={errors.score?.message}
            {...register('score')}
          />
        )}
        {kind === 'factor' && (
          <Select
            label={ALERT_RULE_LABELS.factor}
            options={factorOptions}
            error={errors.factor?.message}
            {...register('factor')}
            value={factor}
          />
        )}
      </div>

      <div className="grid gap-4 sm:grid-cols-2">
        <Select
          label={ALERT_RULE_LABELS.op}
          options={opsFor(kind).map((o) => ({ value: o, label: OP_LABELS[o] }))}
          error={errors.op?.message}
          {...register('op')}
        />
        {op !== 'anomaly' && (
          <Input
            label={ALERT_RULE_LABELS.value}
            inputMode="decimal"
            autoComplete="off"
            hint={valueHint(kind, op, metric, factorUnit, currency)}
            error={errors.value?.message}
            {...register('value')}
          />
        )}
        <Select
          label={ALERT_RULE_LABELS.window}
          options={windowOptions}
          hint={windowHint(op)}
          error={errors.window?.message}
          {...register('window')}
          value={windowValue}
        />
        <Select
          label={ALERT_RULE_LABELS.severity}
          options={ALERT_SEVERITIES.map((s) => ({ value: s, label: SEVERITY_LABELS[s] }))}
          error={errors.severity?.message}
          {...register('severity')}
        />
      </div>

      <div className="grid gap-4 sm:grid-cols-3">
        <Input
          label={ALERT_RULE_LABELS.for_evaluations}
          inputMode="numeric"
          autoComplete="off"
          hint="Fire after this many failing checks (1–100)."
          error={errors.for_evaluations?.message}
          {...register('for_evaluations')}
        />
        <Input
          label={ALERT_RULE_LABELS.for_duration}
          autoComplete="off"
          hint="0s, 30m, 2h, 1d"
          error={errors.for_duration?.message}
          {...register('for_duration')}
        />
        <Input
          label={ALERT_RULE_LABELS.cooldown}
          autoComplete="off"
          hint="Quiet time before it fires again."
          error={errors.cooldown?.message}
          {...register('cooldown')}
        />
      </div>

      <fieldset aria-describedby={errors.channels ? 'rule-channels-error' : undefined}>
        <legend className="text-sm font-medium text-gray-900">{ALERT_RULE_LABELS.channels}</legend>
        {channels.isPending ? (
          <p className="mt-1 text-sm text-gray-600">Loading notification channels…</p>
        ) : channels.error ? (
          <p className="mt-1 text-sm text-red-700">Could not load notification channels.</p>
        ) : channels.data.length === 0 ? (
          <p className="mt-1 text-sm text-gray-600">
            No notification channels yet: alerts will show here only. Add email, Slack or a webhook in{' '}
            <Link href="/settings/#notification-channels" className="font-medium text-indigo-700 underline">
              Settings
            </Link>
            .
          </p>
        ) : (
          <div className="mt-2 grid gap-3 sm:grid-cols-2">
            {channels.data.map((c) => (
              <Checkbox key={c.id} value={c.id} label={c.name} description={c.kind} {...register('channels')} />
            ))}
          </div>
        )}
        {errors.channels && (
          <p id="rule-channels-error" className="mt-1 text-sm text-red-700">
            {errors.channels.message}
          </p>
        )}
      </fieldset>

      <Checkbox label="Enabled" description="A paused rule is not checked." {...register('enabled')} />

      <div className="flex flex-col-reverse gap-3 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={onCancel} disabled={isSubmitting}>
          Cancel
        </Button>
        <Button type="submit" loading={isSubmitting}>
          {rule ? 'Save rule' : 'Create rule'}
        </Button>
      </div>
    </form>
  );
}
