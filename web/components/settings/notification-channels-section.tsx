'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  api,
  canAdminister,
  errorMessage,
  type ChannelTestResult,
  type CreatedNotificationChannel,
  type NotificationChannel,
} from '@/lib/api';
import { formatDate } from '@/lib/options';
import { queryKeys, useNotificationChannels, useOrgId } from '@/lib/queries';
import { useSession } from '@/lib/session';
import { Alert } from '../ui/alert';
import { Badge } from '../ui/badge';
import { Button } from '../ui/button';
import { EmptyState, Section } from '../ui/card';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { CHANNEL_KIND_LABELS, CreateChannelForm } from './create-channel-form';
import { SecretRevealDialog } from './secret-reveal-dialog';

/** Where a channel sends: its addresses, its URL, or the end of its secret. */
function channelTarget(c: NotificationChannel): string {
  switch (c.kind) {
    case 'email':
      return (c.config.to ?? []).join(', ') || '—';
    case 'slack':
      return c.secret_hint ?? 'Slack incoming webhook';
    case 'webhook':
      return [c.config.url, c.secret_hint ? `signing secret ${c.secret_hint}` : null].filter(Boolean).join(' · ') || '—';
    default:
      return '—';
  }
}

type TestState = { phase: 'idle' } | { phase: 'testing' } | { phase: 'done'; result: ChannelTestResult } | { phase: 'error'; message: string };

function ChannelRow({ channel, onDelete }: { channel: NotificationChannel; onDelete: () => void }) {
  const [test, setTest] = useState<TestState>({ phase: 'idle' });

  const run = async () => {
    setTest({ phase: 'testing' });
    try {
      setTest({ phase: 'done', result: await api.testChannel(channel.id) });
    } catch (e) {
      setTest({ phase: 'error', message: errorMessage(e) });
    }
  };

  const status = test.phase === 'done' && test.result.status !== null ? ` (HTTP ${test.result.status})` : '';
  return (
    <li className="py-3">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <div className="min-w-0 flex-1 basis-56">
          <div className="flex flex-wrap items-center gap-2">
            <p className="truncate text-sm font-medium text-gray-900">{channel.name}</p>
            <Badge>{CHANNEL_KIND_LABELS[channel.kind] ?? channel.kind}</Badge>
          </div>
          <p className="text-sm break-all text-gray-600">{channelTarget(channel)}</p>
          <p className="text-xs text-gray-600">Added {formatDate(channel.created_at)}</p>
        </div>
        <div className="flex gap-1">
          <Button
            variant="secondary"
            size="md"
            onClick={() => void run()}
            loading={test.phase === 'testing'}
            aria-label={`Send a test to ${channel.name}`}
          >
            Test
          </Button>
          <Button variant="ghost" size="md" onClick={onDelete} aria-label={`Delete ${channel.name}`}>
            Delete
          </Button>
        </div>
      </div>
      {test.phase === 'done' &&
        (test.result.ok ? (
          <p role="status" className="mt-2 text-sm text-green-800">
            Test delivered{status}. {test.result.detail}
          </p>
        ) : (
          <p role="alert" className="mt-2 text-sm text-red-700">
            Test failed{status}. {test.result.detail}
          </p>
        ))}
      {test.phase === 'error' && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          Could not send a test. {test.message}
        </p>
      )}
    </li>
  );
}

/** Settings → Notification channels: where alert rules send (owners and admins). */
export function NotificationChannelsSection() {
  const role = useSession((s) => s.role);
  const allowed = canAdminister(role);
  const orgId = useOrgId();
  const queryClient = useQueryClient();
  const { data, error, isPending } = useNotificationChannels(allowed);
  // The one place a generated webhook secret lives, only while the reveal dialog is open.
  const [revealed, setRevealed] = useState<CreatedNotificationChannel | null>(null);
  const [deleting, setDeleting] = useState<NotificationChannel | null>(null);

  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.channels(orgId) });

  return (
    <Section
      id="notification-channels"
      title="Notification channels"
      description="Where alert rules send their notifications: email, Slack, or a signed webhook to your own systems."
    >
      {!allowed ? (
        <Alert tone="info">Only owners and admins can see and manage notification channels.</Alert>
      ) : (
        <div className="space-y-6">
          <CreateChannelForm
            onCreated={(channel) => {
              if (channel.secret) setRevealed(channel);
              void refresh();
            }}
          />
          <SecretRevealDialog
            secret={revealed?.secret ?? null}
            title="Copy the webhook’s signing secret"
            description={revealed ? `“${revealed.name}” was added.` : undefined}
            label="Signing secret"
            warning={
              <>
                <strong>You won’t see this secret again.</strong> Your receiver needs it to check that notifications
                come from us. If you lose it, delete the channel and add it again.
              </>
            }
            copyLabel="Copy secret"
            onClose={() => setRevealed(null)}
          />
          <div>
            <h3 className="text-sm font-semibold text-gray-900">Channels</h3>
            {isPending ? (
              <div role="status" aria-label="Loading notification channels" className="mt-2 space-y-2">
                <div aria-hidden="true" className="h-12 animate-pulse rounded-md bg-gray-100" />
                <div aria-hidden="true" className="h-12 animate-pulse rounded-md bg-gray-100" />
              </div>
            ) : error ? (
              <Alert tone="error" className="mt-2">
                Could not load notification channels. {errorMessage(error)}
              </Alert>
            ) : data.length === 0 ? (
              <div className="mt-2">
                <EmptyState>No channels yet. Alerts show in the dashboard; add a channel to be told elsewhere too.</EmptyState>
              </div>
            ) : (
              <ul className="mt-1 divide-y divide-gray-200" aria-label="Notification channels">
                {data.map((c) => (
                  <ChannelRow key={c.id} channel={c} onDelete={() => setDeleting(c)} />
                ))}
              </ul>
            )}
          </div>
          <ConfirmDialog
            open={deleting !== null}
            title={`Delete “${deleting?.name ?? ''}”?`}
            description="Rules that notify it stop sending there at once. This cannot be undone."
            confirmLabel="Delete channel"
            onConfirm={async () => {
              if (deleting) await api.deleteChannel(deleting.id);
              await refresh();
            }}
            onClose={() => setDeleting(null)}
          />
        </div>
      )}
    </Section>
  );
}
