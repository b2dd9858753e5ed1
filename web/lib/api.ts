/**
 * Every call the dashboard makes to the bhd server, typed against the contract in
 * shared/API.md (Auth and tenancy, Metrics). One fetch wrapper attaches the in-memory access
 * token, turns RFC 9457 problem+json answers into `ApiError`, and on a 401 tries one
 * cookie refresh and retries once. Nothing here ever stores a token outside memory.
 */
import { useSession } from './session';

export const API_BASE = '/api/v1';

// ---------------------------------------------------------------------------
// Types (the server contract)
// ---------------------------------------------------------------------------

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const INDUSTRIES = ['saas', 'ecommerce', 'services', 'retail', 'general'] as const;
export type Industry = (typeof INDUSTRIES)[number];

export const API_KEY_SCOPES = ['read', 'ingest', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface User {
  id: string;
  email: string;
  name: string;
  created_at: string;
}

export interface Organization {
  id: string;
  name: string;
  slug: string;
  plan: string;
  industry: Industry;
  /** ISO 4217 code, e.g. "USD". */
  currency: string;
  /** IANA time zone name, e.g. "Europe/Berlin". */
  timezone: string;
  settings: Record<string, unknown>;
  created_at: string;
}

export interface TokenResponse {
  access_token: string;
  /** Omitted in cookie session mode, which is the only mode the dashboard uses. */
  refresh_token?: string;
  token_type: 'Bearer';
  /** Seconds until the access token expires. */
  expires_in: number;
  user: User;
  organization: Organization;
  role: Role;
}

export interface Membership {
  organization: Organization;
  role: Role;
}

export interface Me {
  user: User;
  current_organization: Organization;
  role: Role;
  memberships: Membership[];
}

export interface Member {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  joined_at: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  created_at: string;
}

export interface MembersList {
  items: Member[];
  invitations: Invitation[];
}

export type AddMemberResult =
  | { status: 'added'; member: Member }
  | { status: 'invited'; invitation: Invitation };

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  created_at: string;
  last_used_at: string | null;
}

export interface CreatedApiKey extends Omit<ApiKey, 'last_used_at'> {
  /** The full secret (starts with `bhd_`). The server shows it exactly once. */
  key: string;
}

export interface SignupInput {
  email: string;
  password: string;
  name: string;
  organization_name: string;
}

export interface LoginInput {
  email: string;
  password: string;
}

export interface CreateOrganizationInput {
  name: string;
  industry?: Industry;
  currency?: string;
  timezone?: string;
}

export type UpdateOrganizationInput = Partial<
  Pick<Organization, 'name' | 'industry' | 'currency' | 'timezone'>
>;

export interface AddMemberInput {
  email: string;
  role: Role;
}

export interface CreateApiKeyInput {
  name: string;
  scopes: ApiKeyScope[];
}

// Metrics. Values are decimal strings (money is exact): parse them with Number() only to draw
// or format, never to add up.

export const METRIC_CATEGORIES = ['financial', 'customer', 'operational', 'growth', 'risk'] as const;
export type MetricCategory = (typeof METRIC_CATEGORIES)[number];
export type MetricUnit = 'currency' | 'count' | 'ratio' | 'percent' | 'days' | 'hours' | 'score';
/** `flow` sums over a period, `stock` takes its last value, `rate` is averaged. */
export type MetricKind = 'flow' | 'stock' | 'rate';
export type GoodDirection = 'up' | 'down' | 'neutral';

export const GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
export type CompareMode = 'previous_period' | 'previous_year';

export interface MetricDefinition {
  name: string;
  unit: MetricUnit;
  category: MetricCategory;
  kind: MetricKind;
  good_direction: GoodDirection;
  canonical: boolean;
  description: string;
}

export interface MetricChange {
  absolute: string | null;
  /** A fraction: "0.25" is +25 %. Null when the previous value is missing or zero. */
  percent: string | null;
}

export interface MetricSummary {
  metric_type: string;
  unit: MetricUnit;
  category: MetricCategory;
  kind: MetricKind;
  good_direction: GoodDirection;
  latest: { value: string; recorded_at: string };
  /** The last 30 days, aggregated by kind. */
  current: string | null;
  /** The 30 days before those. */
  previous: string | null;
  change: MetricChange;
  /** 30 daily values, oldest first; null for a day without data. */
  sparkline: (string | null)[];
}

export interface SeriesBucket {
  /** RFC 3339, cut in the organization's time zone. */
  start: string;
  end: string;
  value: string | null;
}

export interface MetricSeries {
  metric_type: string;
  unit: MetricUnit;
  kind: MetricKind;
  category: MetricCategory;
  granularity: Granularity;
  timezone: string;
  from: string;
  to: string;
  buckets: SeriesBucket[];
  compare?: {
    mode: CompareMode;
    /** Element by element with `buckets`. */
    buckets: SeriesBucket[];
    changes: MetricChange[];
  };
}

export interface SeriesParams {
  /** RFC 3339 instants. */
  from: string;
  to: string;
  granularity: Granularity;
  compare?: CompareMode;
}

export interface ImportResult {
  /** Points that did not exist before. */
  accepted: number;
  /** Points that replaced an existing value. */
  updated: number;
  /** The first rejected lines (the server lists up to 1,000); line 1 is the CSV header. */
  rejected: { line: number; error: string }[];
  /** Every rejected line, listed or not. */
  rejected_count?: number;
}

// Health score, history and insights (shared/API.md "Health, insights, real time"; the model is
// docs/scoring.md). Scores are numbers 0–100 with decimals; null means not enough data.

export type ScoreCategory = MetricCategory;

export interface ScoreFactor {
  name: string;
  /** How the KPI is computed, in words. */
  kpi: string;
  /** ratio (a fraction), months, days, multiple, points, index, nps, currency… */
  unit: string;
  value: number | null;
  score: number | null;
  weight: number;
  /** This factor's share of the overall (0–1); 0 when absent. */
  effective_weight: number;
  /** Points it adds to the overall: score × effective_weight. */
  contribution: number;
  benchmark: string;
  source: string;
  confidence: number | null;
  /** Optional factors count when present and are ignored when absent. */
  optional: boolean;
  note?: string;
  /** Why the factor could not be computed (which metrics are missing). */
  absent_reason?: string;
}

export interface CategoryScore {
  name: ScoreCategory;
  score: number | null;
  /** The profile's weight, in percent of the overall. */
  weight: number;
  /** The weight it really carries after renormalizing over present categories (0–1). */
  effective_weight: number;
  coverage: number;
  confidence: number | null;
  /** What to send to unlock the category (or more of it). */
  hint?: string;
  needs?: string[];
  factors: ScoreFactor[];
}

export interface ScoreDriver {
  factor: string;
  category: ScoreCategory;
  previous_score: number | null;
  current_score: number | null;
  previous_contribution: number;
  current_contribution: number;
  /** Points of the overall this factor moved (the changes sum to the overall's change). */
  change: number;
}

export interface ScoreRecommendation {
  factor: string;
  category: ScoreCategory;
  title: string;
  action: string;
  benchmark: string;
  source?: string;
  score?: number | null;
  value?: number | null;
  unit?: string;
  target_score?: number;
  target_value?: number;
  potential?: number;
}

export interface ScoreValues {
  overall: number | null;
  financial: number | null;
  customer: number | null;
  operational: number | null;
  growth: number | null;
  risk: number | null;
}

export interface HealthScore extends ScoreValues {
  id: string;
  coverage: number;
  confidence: number | null;
  /** Why the overall is null (too little of the model has data). */
  reason?: string;
  model_version: string;
  industry: Industry;
  /** The last complete month the score reads (YYYY-MM-DD). */
  as_of: string;
  calculated_at: string;
  weights: Record<ScoreCategory, number>;
  categories: CategoryScore[];
  drivers: ScoreDriver[];
  /** The stored integers. */
  stored: ScoreValues;
  recommendations: ScoreRecommendation[];
}

export interface HealthHistoryItem extends ScoreValues {
  id: string;
  coverage: number;
  confidence: number | null;
  model_version: string;
  calculated_at: string;
}

export interface HealthHistory {
  from: string;
  to: string;
  /** Oldest first. */
  items: HealthHistoryItem[];
}

export const INSIGHT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type InsightSeverity = (typeof INSIGHT_SEVERITIES)[number];
export type InsightKind = 'driver' | 'recommendation' | 'forecast' | 'runway' | 'anomaly' | 'trend_change';

export interface Insight {
  id: string;
  kind: InsightKind;
  severity: InsightSeverity;
  title: string;
  body: string;
  evidence: Record<string, unknown>;
  metrics: string[];
  generated_at: string;
}

// Alerts: rules on a metric, a score or a score factor; the alerts they raise (active →
// acknowledged → resolved, auto-resolved when the condition clears) and their notification
// deliveries; notification channels (email, Slack, signed webhooks). Values are decimal strings.

export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATUSES = ['active', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** What a rule watches: `overall` or one of the five category scores. */
export const SCORE_TARGETS = ['overall', 'financial', 'customer', 'operational', 'growth', 'risk'] as const;
export type ScoreTarget = (typeof SCORE_TARGETS)[number];

export type AlertTarget = { metric_type: string } | { score: ScoreTarget } | { factor: string };

export const ALERT_OPS = [
  'above',
  'below',
  'change_above',
  'change_below',
  'change_pct_above',
  'change_pct_below',
  'anomaly',
] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

export interface AlertCondition {
  op: AlertOp;
  /** A decimal string; absent for `anomaly`. */
  value?: string;
  /** "30d", "4w"; required for change ops; absent/null = the latest value (anomaly: 7d). */
  window?: string | null;
}

export interface AlertRuleInput {
  name: string;
  target: AlertTarget;
  condition: AlertCondition;
  severity: AlertSeverity;
  /** Consecutive failing checks before an alert fires (1–100). */
  for_evaluations?: number;
  /** How long the condition must hold ("0s", "30m", "2h", "1d"). */
  for_duration?: string;
  /** The quiet time after an alert before the rule may fire again. */
  cooldown?: string;
  /** Notification channel ids. */
  channels?: string[];
  enabled?: boolean;
}

export interface AlertRule extends Required<AlertRuleInput> {
  id: string;
  /** A rule the organization got by default (it can still be edited or removed). */
  is_default: boolean;
  created_at: string;
  updated_at: string;
  /** The rule's alert that is not resolved yet, if any. */
  open_alert: { id: string; status: Exclude<AlertStatus, 'resolved'> } | null;
}

export interface AlertItem {
  id: string;
  rule_id: string;
  title: string;
  description: string;
  severity: AlertSeverity;
  category: string;
  metric_type: string | null;
  target: AlertTarget;
  threshold_value: string | null;
  current_value: string | null;
  status: AlertStatus;
  triggered_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: 'auto' | 'user' | null;
}

export type AlertCounts = Record<AlertStatus, number>;

export interface AlertDelivery {
  id: string;
  channel_id: string;
  channel_name: string;
  channel_kind: ChannelKind;
  event: 'alert.triggered' | 'alert.resolved';
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  response_status: number | null;
  created_at: string;
  delivered_at: string | null;
}

export const CHANNEL_KINDS = ['email', 'slack', 'webhook'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface NotificationChannel {
  id: string;
  kind: ChannelKind;
  name: string;
  /** Never holds a secret: email `{to}`, slack `{}`, webhook `{url}`. */
  config: { to?: string[]; url?: string } & Record<string, unknown>;
  /** The end of a secret (a Slack webhook URL, a webhook's signing secret). */
  secret_hint: string | null;
  created_at: string;
}

export interface CreatedNotificationChannel extends NotificationChannel {
  /** A webhook's generated signing secret, when none was given. The server shows it once. */
  secret?: string;
}

export type CreateChannelInput =
  | { kind: 'email'; name: string; config: { to: string[] } }
  | { kind: 'slack'; name: string; config: { webhook_url: string } }
  | { kind: 'webhook'; name: string; config: { url: string; secret?: string } };

export interface ChannelTestResult {
  ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  detail: string;
}

// Real time (shared/API.md "Health, insights, real time"): the event stream. A browser's
// EventSource cannot send a header, so it connects with a single-use ticket in the URL.

export interface StreamTicket {
  /** Opaque; good for one connection. */
  ticket: string;
  /** Seconds until the ticket expires unused (about 30). */
  expires_in: number;
}

/** `score.updated`: a new score was stored. Scores may be null (not enough data). */
export interface ScoreUpdatedData extends ScoreValues {
  coverage: number | null;
  confidence: number | null;
  model_version: string;
  calculated_at: string;
}

/** `metrics.ingested`: points were written (an API push, an import or a sync). */
export interface MetricsIngestedData {
  accepted: number;
  updated: number;
  metric_types: string[];
  source: string;
}

/** `resync`: the client missed events and must refetch everything it shows. */
export interface ResyncData {
  reason: string;
}

/** What each event type carries in its envelope's `data`. */
export interface StreamEventData {
  'score.updated': ScoreUpdatedData;
  'metrics.ingested': MetricsIngestedData;
  'alert.triggered': AlertItem;
  'alert.acknowledged': AlertItem;
  'alert.resolved': AlertItem;
  'integration.synced': Record<string, unknown>;
  resync: ResyncData;
}

export type StreamEventType = keyof StreamEventData;

export const STREAM_EVENT_TYPES = [
  'score.updated',
  'metrics.ingested',
  'alert.triggered',
  'alert.acknowledged',
  'alert.resolved',
  'integration.synced',
  'resync',
] as const satisfies readonly StreamEventType[];

/**
 * The JSON envelope in every event's `data:` line; `id` equals the SSE `id:` field. `resync`
 * is not an event of the log: it has no id and no time.
 */
export type StreamEvent =
  | {
      [T in Exclude<StreamEventType, 'resync'>]: { id: number; type: T; at: string; data: StreamEventData[T] };
    }[Exclude<StreamEventType, 'resync'>]
  | { id?: undefined; type: 'resync'; at?: undefined; data: ResyncData };

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem document as the server sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  request_id?: string;
  errors?: FieldError[];
}

/** A failed call: the HTTP status (0 for a network failure) and the parsed problem. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly requestId: string | undefined;
  readonly errors: FieldError[];

  constructor(status: number, problem: Problem = {}) {
    const title = problem.title ?? (status === 0 ? 'Network error' : `Request failed (${status})`);
    super(problem.detail ?? title);
    this.name = 'ApiError';
    this.status = status;
    this.type = problem.type ?? 'about:blank';
    this.title = title;
    this.detail = problem.detail;
    this.requestId = problem.request_id;
    this.errors = Array.isArray(problem.errors) ? problem.errors.filter(isFieldError) : [];
  }
}

function isFieldError(e: unknown): e is FieldError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as FieldError).field === 'string' &&
    typeof (e as FieldError).message === 'string'
  );
}

/** A message fit to show a person for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'Could not reach the server. Check your connection and try again.';
    if (error.status >= 500) return 'Something went wrong on our side. Please try again.';
    return error.detail ?? error.title;
  }
  return 'Something went wrong. Please try again.';
}

// ---------------------------------------------------------------------------
// The fetch wrapper
// ---------------------------------------------------------------------------

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is with its media type instead of JSON (a file upload). */
  raw?: { data: Blob | string; type: string };
  /** Send `X-Session-Mode: cookie` (auth endpoints that set or read the refresh cookie). */
  cookieSession?: boolean;
  /** On 401, try one cookie refresh and retry once (default true). */
  retryOnUnauthorized?: boolean;
}

async function send(method: Method, path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: 'application/json, application/problem+json',
  };
  if (opts.raw) headers['Content-Type'] = opts.raw.type;
  else if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.cookieSession) headers['X-Session-Mode'] = 'cookie';
  const token = useSession.getState().accessToken;
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: opts.raw ? opts.raw.data : opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0);
  }
}

async function parseProblem(res: Response): Promise<ApiError> {
  let problem: Problem = {};
  const type = res.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      problem = (await res.json()) as Problem;
    } catch {
      problem = {};
    }
  }
  return new ApiError(res.status, problem);
}

/** Performs one API call and returns the parsed JSON body (undefined for 204). */
export async function request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
  const hadToken = useSession.getState().accessToken !== null;
  let res = await send(method, path, opts);
  if (res.status === 401 && hadToken && opts.retryOnUnauthorized !== false) {
    // The access token has probably expired: rotate it with the refresh cookie, once.
    if (await refreshSession()) {
      res = await send(method, path, { ...opts, retryOnUnauthorized: false });
    }
  }
  if (!res.ok) throw await parseProblem(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

// ---------------------------------------------------------------------------
// Session: refresh is single-flight (a refresh token is spent on use, and a second
// concurrent use of the same one would revoke the whole family).
// ---------------------------------------------------------------------------

let inflightRefresh: Promise<boolean> | null = null;

async function doRefresh(): Promise<boolean> {
  try {
    const tokens = await request<TokenResponse>('POST', '/auth/refresh', {
      body: {},
      cookieSession: true,
      retryOnUnauthorized: false,
    });
    useSession.getState().setTokens(tokens);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) {
      // Offline: keep whatever we had; only a definite "no" ends the session.
      if (useSession.getState().status === 'loading') useSession.getState().clear();
      return false;
    }
    useSession.getState().clear();
    return false;
  }
}

/**
 * Rotates the session with the HttpOnly refresh cookie. Resolves to whether a session
 * exists afterwards. Concurrent callers (and other tabs, where Web Locks exist) share one call.
 */
export function refreshSession(): Promise<boolean> {
  if (!inflightRefresh) {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    const run = locks ? locks.request('bhd-refresh', doRefresh) : doRefresh();
    inflightRefresh = Promise.resolve(run).finally(() => {
      inflightRefresh = null;
    });
  }
  return inflightRefresh;
}

// ---------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------

/** A single-use ticket (valid ~30 s) for one connection to the event stream (see lib/live.ts). */
export function createStreamTicket(): Promise<StreamTicket> {
  return request<StreamTicket>('POST', '/stream/ticket', { body: {} });
}

/** The event stream's URL for a ticket, resuming after `lastEventId` when given. */
export function streamUrl(ticket: string, lastEventId?: string | null): string {
  const query = new URLSearchParams({ ticket });
  if (lastEventId) query.set('last_event_id', lastEventId);
  return `${API_BASE}/stream?${query}`;
}

export const api = {
  signup: (input: SignupInput) =>
    request<TokenResponse>('POST', '/auth/signup', { body: input, cookieSession: true }),
  login: (input: LoginInput) =>
    request<TokenResponse>('POST', '/auth/login', {
      body: input,
      cookieSession: true,
      retryOnUnauthorized: false,
    }),
  refresh: refreshSession,
  logout: () => request<void>('POST', '/auth/logout', { body: {}, cookieSession: true }),
  switchOrganization: (organizationId: string) =>
    request<TokenResponse>('POST', '/auth/switch', {
      body: { organization_id: organizationId },
      cookieSession: true,
    }),
  me: () => request<Me>('GET', '/me'),
  createOrganization: (input: CreateOrganizationInput) =>
    request<Organization>('POST', '/organizations', { body: input }),
  getOrganization: () => request<Organization>('GET', '/organization'),
  updateOrganization: (input: UpdateOrganizationInput) =>
    request<Organization>('PATCH', '/organization', { body: input }),
  listMembers: () => request<MembersList>('GET', '/organization/members'),
  addMember: (input: AddMemberInput) =>
    request<AddMemberResult>('POST', '/organization/members', { body: input }),
  updateMemberRole: (userId: string, role: Role) =>
    request<Member>('PATCH', `/organization/members/${encodeURIComponent(userId)}`, { body: { role } }),
  removeMember: (userId: string) =>
    request<void>('DELETE', `/organization/members/${encodeURIComponent(userId)}`),
  listApiKeys: () => request<{ items: ApiKey[] }>('GET', '/api-keys'),
  createApiKey: (input: CreateApiKeyInput) => request<CreatedApiKey>('POST', '/api-keys', { body: input }),
  revokeApiKey: (id: string) => request<void>('DELETE', `/api-keys/${encodeURIComponent(id)}`),
  metricCatalog: () => request<{ items: MetricDefinition[] }>('GET', '/metrics/catalog'),
  metricSummary: () => request<{ items: MetricSummary[] }>('GET', '/metrics/summary'),
  metricSeries: (metricType: string, params: SeriesParams) => {
    const query = new URLSearchParams({ from: params.from, to: params.to, granularity: params.granularity });
    if (params.compare) query.set('compare', params.compare);
    return request<MetricSeries>('GET', `/metrics/${encodeURIComponent(metricType)}/series?${query}`);
  },
  /** Streams a CSV file to the server as is; the answer lists every rejected line. */
  importMetricsCsv: (file: Blob) =>
    request<ImportResult>('POST', '/metrics/import', { raw: { data: file, type: 'text/csv' } }),
  healthScore: () => request<HealthScore>('GET', '/health/score'),
  healthHistory: (from: string, to: string) =>
    request<HealthHistory>('GET', `/health/history?${new URLSearchParams({ from, to })}`),
  /** Queues a recalculation (202); the new score is stored a moment later. */
  recalculateHealth: () => request<{ status: string }>('POST', '/health/recalculate', { body: {} }),
  insights: () => request<Insight[]>('GET', '/insights'),
  listAlertRules: () => request<AlertRule[] | { items: AlertRule[] }>('GET', '/alert-rules').then(listOf),
  createAlertRule: (input: AlertRuleInput) => request<AlertRule>('POST', '/alert-rules', { body: input }),
  updateAlertRule: (id: string, input: Partial<AlertRuleInput>) =>
    request<AlertRule>('PATCH', `/alert-rules/${encodeURIComponent(id)}`, { body: input }),
  deleteAlertRule: (id: string) => request<void>('DELETE', `/alert-rules/${encodeURIComponent(id)}`),
  /** Newest first; without a status, every alert. */
  listAlerts: (status?: AlertStatus) =>
    request<AlertItem[] | { items: AlertItem[] }>('GET', status ? `/alerts?${new URLSearchParams({ status })}` : '/alerts').then(
      listOf,
    ),
  alertCounts: () => request<AlertCounts>('GET', '/alerts/counts'),
  /** 409 when the alert has moved on (already acknowledged or resolved). */
  acknowledgeAlert: (id: string) => request<AlertItem>('POST', `/alerts/${encodeURIComponent(id)}/acknowledge`, { body: {} }),
  resolveAlert: (id: string) => request<AlertItem>('POST', `/alerts/${encodeURIComponent(id)}/resolve`, { body: {} }),
  alertDeliveries: (id: string) =>
    request<AlertDelivery[] | { items: AlertDelivery[] }>('GET', `/alerts/${encodeURIComponent(id)}/deliveries`).then(listOf),
  listChannels: () =>
    request<NotificationChannel[] | { items: NotificationChannel[] }>('GET', '/notification-channels').then(listOf),
  createChannel: (input: CreateChannelInput) =>
    request<CreatedNotificationChannel>('POST', '/notification-channels', { body: input }),
  deleteChannel: (id: string) => request<void>('DELETE', `/notification-channels/${encodeURIComponent(id)}`),
  testChannel: (id: string) =>
    request<ChannelTestResult>('POST', `/notification-channels/${encodeURIComponent(id)}/test`, { body: {} }),
  createStreamTicket,
};

/**
 * The alert endpoints answer bare arrays (as /insights does); the older list endpoints wrap
 * theirs in `{items}`. Either is read the same way.
 */
function listOf<T>(data: T[] | { items: T[] }): T[] {
  return Array.isArray(data) ? data : data.items;
}

/** Whether a role may write metrics (viewers only read). */
export function canWriteMetrics(role: Role | null | undefined): boolean {
  return role === 'owner' || role === 'admin' || role === 'member';
}

/** Whether a role may acknowledge and resolve alerts (members and up; viewers only read). */
export const canActOnAlerts = canWriteMetrics;

/**
 * Whether a role may manage members, API keys, organization settings, alert rules and
 * notification channels.
 */
export function canAdminister(role: Role | null | undefined): boolean {
  return role === 'owner' || role === 'admin';
}
