/**
 * TanStack Query hooks over lib/api.ts. Every key carries the current organization id,
 * so switching organizations never shows one tenant's cached data under another.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, type AlertStatus, type SeriesParams } from './api';
import { useSession } from './session';

export const queryKeys = {
  me: (orgId: string | null) => ['me', orgId] as const,
  organization: (orgId: string | null) => ['organization', orgId] as const,
  members: (orgId: string | null) => ['members', orgId] as const,
  apiKeys: (orgId: string | null) => ['api-keys', orgId] as const,
  /** Everything metric-related: invalidate this after an import. */
  metrics: (orgId: string | null) => ['metrics', orgId] as const,
  metricCatalog: (orgId: string | null) => ['metrics', orgId, 'catalog'] as const,
  metricSummary: (orgId: string | null) => ['metrics', orgId, 'summary'] as const,
  metricSeries: (orgId: string | null, metricType: string, params: SeriesParams) =>
    ['metrics', orgId, 'series', metricType, params] as const,
  /** Score, history and insights: invalidate this after a recalculation. */
  health: (orgId: string | null) => ['health', orgId] as const,
  healthScore: (orgId: string | null) => ['health', orgId, 'score'] as const,
  healthHistory: (orgId: string | null, from: string, to: string) => ['health', orgId, 'history', from, to] as const,
  insights: (orgId: string | null) => ['health', orgId, 'insights'] as const,
  /**
   * Alerts, their counts and deliveries, and the rules (which carry their open alert):
   * the alert events of the stream invalidate all of it.
   */
  alerts: (orgId: string | null) => ['alerts', orgId] as const,
  alertList: (orgId: string | null, status: AlertStatus | 'all') => ['alerts', orgId, 'list', status] as const,
  alertCounts: (orgId: string | null) => ['alerts', orgId, 'counts'] as const,
  alertDeliveries: (orgId: string | null, alertId: string) => ['alerts', orgId, 'deliveries', alertId] as const,
  alertRules: (orgId: string | null) => ['alerts', orgId, 'rules'] as const,
  channels: (orgId: string | null) => ['notification-channels', orgId] as const,
};

export function useOrgId(): string | null {
  return useSession((s) => s.organization?.id ?? null);
}

export function useMe() {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.me(orgId), queryFn: api.me, enabled: orgId !== null });
}

export function useOrganization() {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.organization(orgId), queryFn: api.getOrganization, enabled: orgId !== null });
}

export function useMembers(enabled: boolean) {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.members(orgId), queryFn: api.listMembers, enabled: enabled && orgId !== null });
}

export function useApiKeys(enabled: boolean) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.apiKeys(orgId),
    queryFn: api.listApiKeys,
    enabled: enabled && orgId !== null,
    select: (data) => data.items,
  });
}

export function useMetricCatalog() {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.metricCatalog(orgId),
    queryFn: api.metricCatalog,
    enabled: orgId !== null,
    // The catalogue changes only when someone adds a custom type.
    staleTime: 5 * 60_000,
    select: (data) => data.items,
  });
}

export function useMetricSummary() {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.metricSummary(orgId),
    queryFn: api.metricSummary,
    enabled: orgId !== null,
    select: (data) => data.items,
  });
}

/** A metric's buckets; while new parameters load, the previous chart stays on screen. */
export function useMetricSeries(metricType: string, params: SeriesParams) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.metricSeries(orgId, metricType, params),
    queryFn: () => api.metricSeries(metricType, params),
    enabled: orgId !== null,
    placeholderData: (previous, previousQuery) =>
      // Only across parameter changes of the same metric, never another metric's or tenant's.
      previousQuery?.queryKey[1] === orgId && previousQuery.queryKey[3] === metricType
        ? keepPreviousData(previous)
        : undefined,
  });
}

/**
 * The latest stored health score. `score.updated` events invalidate it (lib/live.ts);
 * `pollEvery` (ms) refetches while a recalculation is pending, in case the stream is down.
 */
export function useHealthScore(pollEvery: number | false = false, enabled = true) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.healthScore(orgId),
    queryFn: api.healthScore,
    enabled: enabled && orgId !== null,
    refetchInterval: pollEvery,
  });
}

/**
 * Stored scores between two RFC 3339 instants, oldest first. Pass `enabled` once the score has
 * loaded: the first score request is the one that computes and stores a score.
 */
export function useHealthHistory(from: string, to: string, enabled = true) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.healthHistory(orgId, from, to),
    queryFn: () => api.healthHistory(from, to),
    enabled: enabled && orgId !== null,
    select: (data) => data.items,
  });
}

/** The insights generated with the latest score (pass `enabled` once the score has loaded). */
export function useInsights(enabled = true) {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.insights(orgId), queryFn: api.insights, enabled: enabled && orgId !== null });
}

/** The alerts in one state (or all), newest first. */
export function useAlerts(status: AlertStatus | 'all') {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.alertList(orgId, status),
    queryFn: () => api.listAlerts(status === 'all' ? undefined : status),
    enabled: orgId !== null,
  });
}

/** How many alerts are active, acknowledged and resolved (the navigation's badge, the tabs). */
export function useAlertCounts() {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.alertCounts(orgId), queryFn: api.alertCounts, enabled: orgId !== null });
}

/** The notifications sent for one alert (fetched when its log is opened). */
export function useAlertDeliveries(alertId: string, enabled: boolean) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: queryKeys.alertDeliveries(orgId, alertId),
    queryFn: () => api.alertDeliveries(alertId),
    enabled: enabled && orgId !== null,
  });
}

export function useAlertRules() {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.alertRules(orgId), queryFn: api.listAlertRules, enabled: orgId !== null });
}

/** Notification channels (owners and admins only: pass `enabled`). */
export function useNotificationChannels(enabled: boolean) {
  const orgId = useOrgId();
  return useQuery({ queryKey: queryKeys.channels(orgId), queryFn: api.listChannels, enabled: enabled && orgId !== null });
}
