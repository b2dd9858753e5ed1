'use client';

import { errorMessage, type AlertDelivery } from '@/lib/api';
import { useAlertDeliveries } from '@/lib/queries';
import { Alert } from '../ui/alert';
import { cn } from '../ui/cn';
import { TimeAgo } from './time-ago';

const KIND_LABELS: Record<AlertDelivery['channel_kind'], string> = {
  email: 'Email',
  slack: 'Slack',
  webhook: 'Webhook',
};

const EVENT_LABELS: Record<AlertDelivery['event'], string> = {
  'alert.triggered': 'Triggered',
  'alert.resolved': 'Resolved',
};

const STATUS_STYLE: Record<AlertDelivery['status'], string> = {
  delivered: 'bg-green-50 text-green-800 ring-green-200',
  pending: 'bg-gray-50 text-gray-700 ring-gray-300',
  failed: 'bg-red-50 text-red-800 ring-red-200',
};

const STATUS_LABELS: Record<AlertDelivery['status'], string> = {
  delivered: 'Delivered',
  pending: 'Pending',
  failed: 'Failed',
};

/** The notifications sent for one alert: where, for which event, and how it went. */
export function DeliveryLog({ alertId, timeZone, now }: { alertId: string; timeZone: string; now: number }) {
  const { data, error, isPending } = useAlertDeliveries(alertId, true);

  if (isPending) {
    return (
      <div role="status" aria-label="Loading deliveries" className="space-y-2">
        <div aria-hidden="true" className="h-10 animate-pulse rounded-md bg-gray-100" />
      </div>
    );
  }
  if (error) return <Alert tone="error">Could not load the delivery log. {errorMessage(error)}</Alert>;
  if (data.length === 0) {
    return (
      <p className="text-sm text-gray-600">
        No notifications were sent for this alert: its rule has no notification channels.
      </p>
    );
  }
  return (
    <ul className="divide-y divide-gray-200 text-sm" aria-label="Deliveries">
      {data.map((d) => (
        <li key={d.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-2">
          <span className="min-w-0 flex-1 basis-40 font-medium break-words text-gray-900">
            {d.channel_name} <span className="font-normal text-gray-600">({KIND_LABELS[d.channel_kind] ?? d.channel_kind})</span>
          </span>
          <span className="text-gray-700">{EVENT_LABELS[d.event] ?? d.event}</span>
          <span
            className={cn(
              'inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset',
              STATUS_STYLE[d.status] ?? STATUS_STYLE.pending,
            )}
          >
            {STATUS_LABELS[d.status] ?? d.status}
            {d.response_status !== null && ` · HTTP ${d.response_status}`}
          </span>
          <span className="w-full text-xs text-gray-600">
            {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'} · queued <TimeAgo iso={d.created_at} now={now} timeZone={timeZone} />
            {d.delivered_at && (
              <>
                {' '}
                · delivered <TimeAgo iso={d.delivered_at} now={now} timeZone={timeZone} />
              </>
            )}
          </span>
          {d.last_error && <span className="w-full text-xs break-words text-red-700">Last error: {d.last_error}</span>}
        </li>
      ))}
    </ul>
  );
}
