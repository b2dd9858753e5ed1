// Test fixtures shaped like the answers of the alert endpoints (the REST contract of alerts).
import type { AlertDelivery, AlertItem, AlertRule, MetricDefinition, NotificationChannel } from '@/lib/api';

export function alertItem(overrides: Partial<AlertItem> = {}): AlertItem {
  return {
    id: 'a_1',
    rule_id: 'r_1',
    title: 'Revenue below 20,000',
    description: 'Revenue over the last 30 days is 18,250, below the threshold of 20,000.',
    severity: 'high',
    category: 'financial',
    metric_type: 'revenue',
    target: { metric_type: 'revenue' },
    threshold_value: '20000',
    current_value: '18250.5',
    status: 'active',
    triggered_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    resolved_by: null,
    ...overrides,
  };
}

export function rule(overrides: Partial<AlertRule> = {}): AlertRule {
  return {
    id: 'r_1',
    name: 'Revenue is falling',
    target: { metric_type: 'revenue' },
    condition: { op: 'below', value: '20000', window: '30d' },
    severity: 'high',
    for_evaluations: 2,
    for_duration: '0s',
    cooldown: '1h',
    channels: ['c_1'],
    enabled: true,
    is_default: false,
    created_at: '2026-11-01T10:00:00Z',
    updated_at: '2026-11-01T10:00:00Z',
    open_alert: { id: 'a_1', status: 'active' },
    ...overrides,
  };
}

export const catalog: MetricDefinition[] = [
  {
    name: 'revenue',
    unit: 'currency',
    category: 'financial',
    kind: 'flow',
    good_direction: 'up',
    canonical: true,
    description: 'Income from sales in the period.',
  },
  {
    name: 'support_resolution_time_hours',
    unit: 'hours',
    category: 'operational',
    kind: 'rate',
    good_direction: 'down',
    canonical: true,
    description: 'Average time to resolve a support ticket.',
  },
  {
    name: 'cash_balance',
    unit: 'currency',
    category: 'financial',
    kind: 'stock',
    good_direction: 'up',
    canonical: true,
    description: 'Cash at the end of the period.',
  },
];

export function channel(overrides: Partial<NotificationChannel> = {}): NotificationChannel {
  return {
    id: 'c_1',
    kind: 'slack',
    name: 'Ops on Slack',
    config: {},
    secret_hint: 'https://hooks.slack.com/…Xy9Z',
    created_at: '2026-11-01T10:00:00Z',
    ...overrides,
  };
}

export function delivery(overrides: Partial<AlertDelivery> = {}): AlertDelivery {
  return {
    id: 'd_1',
    channel_id: 'c_1',
    channel_name: 'Ops on Slack',
    channel_kind: 'slack',
    event: 'alert.triggered',
    status: 'delivered',
    attempts: 1,
    last_error: null,
    response_status: 200,
    created_at: new Date(Date.now() - 4 * 60_000).toISOString(),
    delivered_at: new Date(Date.now() - 4 * 60_000).toISOString(),
    ...overrides,
  };
}
