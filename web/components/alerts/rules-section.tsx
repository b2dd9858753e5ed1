'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, canAdminister, errorMessage, type AlertRule, type MetricDefinition, type NotificationChannel } from '@/lib/api';
import { queryKeys, useAlertRules, useNotificationChannels, useOrgId } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Badge } from '../ui/badge';
import { Button } from '../ui/button';
import { EmptyState } from '../ui/card';
import { cn } from '../ui/cn';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { Dialog } from '../ui/dialog';
import { summarizeRule } from './format';
import { RuleForm } from './rule-form';

/** An on/off switch for a rule (owners and admins). */
function EnabledSwitch({ rule, onError }: { rule: AlertRule; onError: (message: string | null) => void }) {
  const queryClient = useQueryClient();
  const orgId = useOrgId();
  const [busy, setBusy] = useState(false);

  const toggle = async () => {
    setBusy(true);
    onError(null);
    try {
      await api.updateAlertRule(rule.id, { enabled: !rule.enabled });
    } catch (e) {
      onError(`Could not ${rule.enabled ? 'pause' : 'enable'} “${rule.name}”. ${errorMessage(e)}`);
    } finally {
      setBusy(false);
      await queryClient.invalidateQueries({ queryKey: queryKeys.alertRules(orgId) });
    }
  };

  return (
    <button
      type="button"
      role="switch"
      aria-checked={rule.enabled}
      aria-label={`${rule.name} enabled`}
      disabled={busy}
      onClick={() => void toggle()}
      className="inline-flex min-h-11 items-center gap-2 rounded-md px-1 text-sm text-gray-900 focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:opacity-60"
    >
      <span
        aria-hidden="true"
        className={cn(
          'relative inline-flex h-6 w-11 shrink-0 rounded-full transition-colors',
          rule.enabled ? 'bg-indigo-600' : 'bg-gray-300',
        )}
      >
        <span
          className={cn(
            'absolute top-0.5 size-5 rounded-full bg-white shadow transition-transform',
            rule.enabled ? 'translate-x-5.5' : 'translate-x-0.5',
          )}
        />
      </span>
      <span aria-hidden="true">{rule.enabled ? 'On' : 'Off'}</span>
    </button>
  );
}

function RuleRow({
  rule,
  metric,
  channels,
  currency,
  canEdit,
  onEdit,
  onDelete,
}: {
  rule: AlertRule;
  metric: MetricDefinition | undefined;
  channels: Map<string, NotificationChannel> | undefined;
  currency: string;
  canEdit: boolean;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const names = channels ? rule.channels.map((id) => channels.get(id)?.name ?? 'a removed channel') : [];
  return (
    <li className="py-4">
      <div className="flex flex-wrap items-start gap-x-4 gap-y-2">
        <div className="min-w-0 flex-1 basis-56">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="text-sm font-semibold break-words text-gray-900">{rule.name}</h3>
            {rule.is_default && <Badge tone="indigo">Default</Badge>}
            {!rule.enabled && <Badge>Paused</Badge>}
            {rule.open_alert && (
              <Badge tone="amber">{rule.open_alert.status === 'active' ? 'Alert active' : 'Alert acknowledged'}</Badge>
            )}
          </div>
          <p className="mt-1 text-sm break-words text-gray-700">{summarizeRule(rule, metric, currency)}</p>
          <p className="mt-0.5 text-xs text-gray-600">
            {rule.channels.length === 0
              ? 'Notifies nobody: shown on this page only.'
              : channels
                ? `Notifies ${names.join(', ')}.`
                : `Notifies ${rule.channels.length} ${rule.channels.length === 1 ? 'channel' : 'channels'}.`}
          </p>
        </div>
        {canEdit ? (
          <div className="flex flex-wrap items-center gap-1">
            <EnabledSwitch rule={rule} onError={setError} />
            <Button variant="ghost" size="md" onClick={onEdit} aria-label={`Edit ${rule.name}`}>
              Edit
            </Button>
            <Button variant="ghost" size="md" onClick={onDelete} aria-label={`Delete ${rule.name}`}>
              Delete
            </Button>
          </div>
        ) : (
          <span className="text-sm text-gray-700">{rule.enabled ? 'Enabled' : 'Paused'}</span>
        )}
      </div>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {error}
        </p>
      )}
    </li>
  );
}

/**
 * The alert rules: everyone reads them (in words); owners and admins create, edit, pause and
 * delete them.
 */
export function RulesSection({ catalog }: { catalog: Map<string, MetricDefinition> }) {
  const role = useSession((s) => s.role);
  const currency = useSession((s) => s.organization?.currency ?? 'USD');
  const canEdit = canAdminister(role);
  const orgId = useOrgId();
  const queryClient = useQueryClient();
  const { data, error, isPending } = useAlertRules();
  const channels = useNotificationChannels(canEdit);
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const channelMap = channels.data ? new Map(channels.data.map((c) => [c.id, c])) : undefined;

  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.alertRules(orgId) });
  const metricOf = (rule: AlertRule) => ('metric_type' in rule.target ? catalog.get(rule.target.metric_type) : undefined);

  return (
    <section aria-labelledby="rules-title" className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="rules-title" className="text-base font-semibold text-gray-900">
            Alert rules
          </h2>
          <p className="mt-1 text-sm text-gray-600">
            Each rule is checked after every ingest and score update; an alert fires once its condition holds, and
            resolves by itself when it clears.
          </p>
        </div>
        {canEdit && (
          <Button
            onClick={() => {
              setNotice(null);
              setEditing('new');
            }}
            className="w-full sm:w-auto"
          >
            New rule
          </Button>
        )}
      </div>
      {!canEdit && <Alert tone="info">Only owners and admins can change alert rules.</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}

      <div className="rounded-xl bg-white px-4 shadow-sm ring-1 ring-gray-200 sm:px-6">
        {isPending ? (
          <div role="status" aria-label="Loading alert rules" className="space-y-3 py-4">
            {Array.from({ length: 3 }, (_, i) => (
              <div key={i} aria-hidden="true" className="h-14 animate-pulse rounded-md bg-gray-100" />
            ))}
          </div>
        ) : error ? (
          <div className="py-4">
            <Alert tone="error">Could not load alert rules. {errorMessage(error)}</Alert>
          </div>
        ) : data.length === 0 ? (
          <div className="py-4">
            <EmptyState>
              No alert rules yet.
              {canEdit ? ' Create one to hear when a metric or a score crosses a line.' : ''}
            </EmptyState>
          </div>
        ) : (
          <ul className="divide-y divide-gray-200" aria-label="Alert rules">
            {data.map((rule) => (
              <RuleRow
                key={rule.id}
                rule={rule}
                metric={metricOf(rule)}
                channels={channelMap}
                currency={currency}
                canEdit={canEdit}
                onEdit={() => {
                  setNotice(null);
                  setEditing(rule);
                }}
                onDelete={() => setDeleting(rule)}
              />
            ))}
          </ul>
        )}
      </div>

      <Dialog
        open={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? 'New alert rule' : 'Edit alert rule'}
      >
        {editing !== null && (
          <RuleForm
            key={editing === 'new' ? 'new' : editing.id}
            rule={editing === 'new' ? null : editing}
            onCancel={() => setEditing(null)}
            onSaved={(saved) => {
              setNotice(editing === 'new' ? `Created “${saved.name}”.` : `Saved “${saved.name}”.`);
              setEditing(null);
              void refresh();
            }}
          />
        )}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete “${deleting?.name ?? ''}”?`}
        description="The rule stops being checked at once. This cannot be undone."
        confirmLabel="Delete rule"
        onConfirm={async () => {
          if (deleting) await api.deleteAlertRule(deleting.id);
          setNotice(null);
          await queryClient.invalidateQueries({ queryKey: queryKeys.alerts(orgId) });
        }}
        onClose={() => setDeleting(null)}
      />
    </section>
  );
}
