'use client';

import { useId, useState } from 'react';
import type { AlertItem, AlertRule, MetricDefinition } from '@/lib/api';
import { CATEGORY_LABELS, humanizeMetric } from '../metrics/format';
import { Button } from '../ui/button';
import { cn } from '../ui/cn';
import { DeliveryLog } from './delivery-log';
import { formatConditionValue, SEVERITY_EDGE, targetLabel } from './format';
import { SeverityBadge } from './severity-badge';
import { TimeAgo } from './time-ago';

export type AlertAction = 'acknowledge' | 'resolve';

/**
 * One alert: severity, what happened, the value against its threshold, when, and (for
 * members and up) Acknowledge and Resolve; its delivery log opens below it.
 */
export function AlertCard({
  alert,
  rule,
  metric,
  currency,
  timeZone,
  now,
  canAct,
  selfId,
  onAction,
}: {
  alert: AlertItem;
  /** The rule that raised it, when it still exists: it says how to read the values. */
  rule: AlertRule | undefined;
  metric: MetricDefinition | undefined;
  currency: string;
  timeZone: string;
  now: number;
  canAct: boolean;
  /** The signed-in user's id ("acknowledged by you"). */
  selfId: string | null;
  onAction: (action: AlertAction, alert: AlertItem) => Promise<void>;
}) {
  const [busy, setBusy] = useState<AlertAction | null>(null);
  const [logOpen, setLogOpen] = useState(false);
  const logId = useId();
  const titleId = useId();
  const op = rule?.condition.op;
  const value = (v: string | null) => formatConditionValue(v, alert.target, op, metric, currency);
  const what = alert.metric_type ? humanizeMetric(alert.metric_type) : targetLabel(alert.target);
  const category = CATEGORY_LABELS[alert.category as keyof typeof CATEGORY_LABELS] ?? humanizeMetric(alert.category);

  const run = async (action: AlertAction) => {
    setBusy(action);
    try {
      await onAction(action, alert);
    } finally {
      setBusy(null);
    }
  };

  return (
    <li>
      <article
        aria-labelledby={titleId}
        className={cn(
          'rounded-xl border-l-4 bg-white p-4 shadow-sm ring-1 ring-gray-200 sm:p-5',
          SEVERITY_EDGE[alert.severity] ?? SEVERITY_EDGE.low,
        )}
      >
        <div className="flex flex-wrap items-center gap-2">
          <SeverityBadge severity={alert.severity} />
          <span className="text-xs text-gray-600">
            {what} · {category}
          </span>
        </div>
        <h3 id={titleId} className="mt-2 text-base font-semibold break-words text-gray-900">
          {alert.title}
        </h3>
        {alert.description && <p className="mt-1 text-sm break-words text-gray-700">{alert.description}</p>}
        {rule && <p className="mt-1 text-xs break-words text-gray-600">Rule: {rule.name}</p>}

        <dl className="mt-3 grid grid-cols-2 gap-3 text-sm">
          <div>
            <dt className="text-xs text-gray-600">Current value</dt>
            <dd className="font-semibold text-gray-900">{value(alert.current_value)}</dd>
          </div>
          {alert.threshold_value !== null && (
            <div>
              <dt className="text-xs text-gray-600">Threshold</dt>
              <dd className="font-semibold text-gray-900">{value(alert.threshold_value)}</dd>
            </div>
          )}
        </dl>

        <ul className="mt-3 space-y-0.5 text-xs text-gray-600">
          <li>
            Triggered <TimeAgo iso={alert.triggered_at} now={now} timeZone={timeZone} />
          </li>
          {alert.acknowledged_at && (
            <li>
              Acknowledged <TimeAgo iso={alert.acknowledged_at} now={now} timeZone={timeZone} />
              {selfId !== null && alert.acknowledged_by === selfId && ' by you'}
            </li>
          )}
          {alert.resolved_at && (
            <li>
              {alert.resolved_by === 'auto'
                ? 'Resolved by itself when the condition cleared '
                : alert.resolved_by === 'user'
                  ? 'Resolved by hand '
                  : 'Resolved '}
              <TimeAgo iso={alert.resolved_at} now={now} timeZone={timeZone} />
            </li>
          )}
        </ul>

        <div className="mt-4 flex flex-col gap-2 sm:flex-row sm:flex-wrap sm:items-center">
          {canAct && alert.status === 'active' && (
            <Button
              onClick={() => void run('acknowledge')}
              loading={busy === 'acknowledge'}
              disabled={busy !== null}
              aria-describedby={titleId}
            >
              Acknowledge
            </Button>
          )}
          {canAct && alert.status !== 'resolved' && (
            <Button
              variant="secondary"
              onClick={() => void run('resolve')}
              loading={busy === 'resolve'}
              disabled={busy !== null}
              aria-describedby={titleId}
            >
              Resolve
            </Button>
          )}
          <Button
            variant="ghost"
            aria-expanded={logOpen}
            aria-controls={logId}
            onClick={() => setLogOpen((open) => !open)}
            className="sm:ml-auto"
          >
            {logOpen ? 'Hide delivery log' : 'Show delivery log'}
          </Button>
        </div>
        <div id={logId} hidden={!logOpen} className="mt-3 border-t border-gray-200 pt-3">
          {logOpen && <DeliveryLog alertId={alert.id} timeZone={timeZone} now={now} />}
        </div>
      </article>
    </li>
  );
}
