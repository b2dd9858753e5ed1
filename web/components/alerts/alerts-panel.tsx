'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, canActOnAlerts, errorMessage, type AlertItem, type AlertRule, type AlertStatus, type MetricDefinition } from '@/lib/api';
import { queryKeys, useAlerts, useOrgId } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { EmptyState } from '../ui/card';
import { AlertCard, type AlertAction } from './alert-card';
import { useNow } from './use-now';

/** The server's default page. */
const LIST_LIMIT = 100;

const EMPTY: Record<AlertStatus, string> = {
  active: 'No active alerts — rules are checked after every ingest and score update.',
  acknowledged:
    'No acknowledged alerts. Acknowledge an active alert to tell your team you are on it; it still resolves by itself when the condition clears.',
  resolved: 'No resolved alerts yet.',
};

export function AlertsSkeleton() {
  return (
    <div role="status" aria-label="Loading alerts" className="space-y-3">
      {Array.from({ length: 3 }, (_, i) => (
        <div key={i} aria-hidden="true" className="space-y-3 rounded-xl bg-white p-4 ring-1 ring-gray-200">
          <div className="h-5 w-20 animate-pulse rounded-full bg-gray-200" />
          <div className="h-5 w-3/4 animate-pulse rounded bg-gray-200" />
          <div className="h-4 w-1/2 animate-pulse rounded bg-gray-100" />
          <div className="h-11 w-full animate-pulse rounded-md bg-gray-100 sm:w-40" />
        </div>
      ))}
    </div>
  );
}

const PAST: Record<AlertAction, string> = { acknowledge: 'Acknowledged', resolve: 'Resolved' };

/** The alerts in one state, newest first, with Acknowledge and Resolve for members and up. */
export function AlertsPanel({
  status,
  rules,
  catalog,
}: {
  status: AlertStatus;
  /** By id; undefined while loading. */
  rules: Map<string, AlertRule> | undefined;
  catalog: Map<string, MetricDefinition>;
}) {
  const organization = useSession((s) => s.organization);
  const role = useSession((s) => s.role);
  const selfId = useSession((s) => s.user?.id ?? null);
  const orgId = useOrgId();
  const queryClient = useQueryClient();
  const { data, error, isPending } = useAlerts(status);
  const now = useNow();
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const currency = organization?.currency ?? 'USD';
  const timeZone = organization?.timezone ?? 'UTC';

  const onAction = async (action: AlertAction, alert: AlertItem) => {
    setMessage(null);
    try {
      if (action === 'acknowledge') await api.acknowledgeAlert(alert.id);
      else await api.resolveAlert(alert.id);
      setMessage({ tone: 'success', text: `${PAST[action]} “${alert.title}”.` });
    } catch (e) {
      const verb = action === 'acknowledge' ? 'acknowledge' : 'resolve';
      const conflict = e instanceof ApiError && e.status === 409;
      setMessage({
        tone: 'error',
        text: conflict
          ? `Could not ${verb} “${alert.title}”: ${(e.detail ?? 'it has changed in the meantime').replace(/\.$/, '')}. The list now shows where it stands.`
          : `Could not ${verb} “${alert.title}”. ${errorMessage(e)}`,
      });
      if (!conflict) return;
    }
    // Moved to another tab (or, after a 409, somewhere else already): refetch lists and counts.
    await queryClient.invalidateQueries({ queryKey: queryKeys.alerts(orgId) });
  };

  const noEnabledRules = rules !== undefined && ![...rules.values()].some((r) => r.enabled);

  return (
    <div className="space-y-3">
      {message && <Alert tone={message.tone}>{message.text}</Alert>}
      {isPending ? (
        <AlertsSkeleton />
      ) : error ? (
        <Alert tone="error">Could not load alerts. {errorMessage(error)}</Alert>
      ) : data.length === 0 ? (
        <EmptyState>
          {EMPTY[status]}
          {status === 'active' && noEnabledRules && ' There are no enabled rules yet: add one under Rules.'}
        </EmptyState>
      ) : (
        <>
          <ul className="space-y-3" aria-label={`${status.charAt(0).toUpperCase()}${status.slice(1)} alerts`}>
            {data.map((alert) => (
              <AlertCard
                key={alert.id}
                alert={alert}
                rule={rules?.get(alert.rule_id)}
                metric={alert.metric_type ? catalog.get(alert.metric_type) : undefined}
                currency={currency}
                timeZone={timeZone}
                now={now}
                canAct={canActOnAlerts(role)}
                selfId={selfId}
                onAction={onAction}
              />
            ))}
          </ul>
          {data.length >= LIST_LIMIT && (
            <p className="text-center text-xs text-gray-600">Showing the latest {LIST_LIMIT} alerts.</p>
          )}
        </>
      )}
    </div>
  );
}
