/**
 * Live updates over Server-Sent Events (`GET /api/v1/stream`): one connection per signed-in
 * organization, opened by `useLiveEvents()` in the dashboard layout. Events only invalidate
 * TanStack queries, so the pages refetch what they show; nothing here renders data or
 * touches the cache's contents.
 *
 * A stream ticket is single-use, so the browser's own EventSource reconnection (which reuses
 * the URL) can never succeed: on any error the EventSource is closed here, and after a backoff
 * (1 s, 2 s, 4 s … capped at 30 s, reset once a connection opens) a fresh ticket reconnects
 * with `last_event_id`, so the server replays what was missed. The access token never goes
 * in a URL.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { create } from 'zustand';
import { createStreamTicket, STREAM_EVENT_TYPES, streamUrl, type StreamEvent } from './api';
import { queryKeys } from './queries';
import { useSession } from './session';

/** `off`: no connection is wanted (signed out) or possible (no EventSource). */
export type LiveStatus = 'off' | 'connecting' | 'live' | 'reconnecting';

/** The connection status, for the "Live" indicator. */
export const useLiveStatus = create<{ status: LiveStatus }>()(() => ({ status: 'off' }));

export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 30_000;
/** Invalidations are gathered this long, so a burst of events (a replay) costs one refetch. */
export const INVALIDATE_DELAY_MS = 200;

/** The wait before reconnection attempt `attempt` (0-based): 1 s, 2 s, 4 s … at most 30 s. */
export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30), BACKOFF_MAX_MS);
}

export interface LiveConnectionOptions {
  onEvent: (event: StreamEvent) => void;
  onStatus: (status: LiveStatus) => void;
  /**
   * A connection opened after a drop without an event id to resume from: whatever happened
   * in between is unknown, so the caller should refetch everything (as on `resync`).
   */
  onGap: () => void;
}

/** Parses an event's JSON envelope; null for anything that is not one. */
function parseEnvelope(event: MessageEvent): StreamEvent | null {
  if (typeof event.data !== 'string') return null;
  try {
    const envelope: unknown = JSON.parse(event.data);
    if (typeof envelope !== 'object' || envelope === null) return null;
    // The envelope names the type; the SSE `event:` field is the fallback.
    const type = (envelope as { type?: unknown }).type;
    return { ...envelope, type: typeof type === 'string' ? type : event.type } as StreamEvent;
  } catch {
    return null;
  }
}

/**
 * Keeps one connection to the event stream open until the returned function is called:
 * fetches a ticket, opens an EventSource, and on any failure closes it and starts over with a
 * new ticket after a backoff, resuming after the last event received.
 */
export function connectLive({ onEvent, onStatus, onGap }: LiveConnectionOptions): () => void {
  let closed = false;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let dropped = false;
  let lastEventId: string | null = null;

  const receive = (event: Event) => {
    const message = event as MessageEvent;
    const envelope = parseEnvelope(message);
    // The SSE `id:` is what the server resumes from; the envelope repeats it.
    if (/^\d+$/.test(message.lastEventId)) lastEventId = message.lastEventId;
    else if (envelope && Number.isSafeInteger(envelope.id)) lastEventId = String(envelope.id);
    if (envelope) onEvent(envelope);
  };

  const retry = () => {
    if (closed) return;
    dropped = true;
    onStatus('reconnecting');
    const delay = backoffDelay(attempt);
    attempt += 1;
    timer = setTimeout(() => void open(), delay);
  };

  const open = async () => {
    timer = undefined;
    let ticket: string;
    try {
      ticket = (await createStreamTicket()).ticket;
    } catch {
      // Offline, or the server is restarting. A refused session ends this connection from the
      // outside: the session is cleared and the hook closes it.
      retry();
      return;
    }
    if (closed) return;
    const es = new EventSource(streamUrl(ticket, lastEventId));
    source = es;
    es.onopen = () => {
      if (source !== es) return;
      attempt = 0;
      onStatus('live');
      if (dropped && lastEventId === null) onGap();
    };
    es.onerror = () => {
      if (source !== es) return;
      // Never let the EventSource retry on its own: its URL holds a spent ticket.
      es.close();
      source = null;
      retry();
    };
    for (const type of STREAM_EVENT_TYPES) es.addEventListener(type, receive);
    // Events sent without an `event:` line arrive as "message"; the envelope names their type.
    es.onmessage = receive;
  };

  onStatus('connecting');
  void open();

  return () => {
    closed = true;
    clearTimeout(timer);
    source?.close();
    source = null;
  };
}

type Scope = 'health' | 'metrics' | 'alerts' | 'all';

/** Gathers invalidations for INVALIDATE_DELAY_MS, then runs each scope once. */
function invalidator(client: QueryClient, orgId: string) {
  const pending = new Set<Scope>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    if (pending.has('all')) {
      void client.invalidateQueries();
    } else {
      if (pending.has('health')) void client.invalidateQueries({ queryKey: queryKeys.health(orgId) });
      if (pending.has('metrics')) void client.invalidateQueries({ queryKey: queryKeys.metrics(orgId) });
      if (pending.has('alerts')) void client.invalidateQueries({ queryKey: queryKeys.alerts(orgId) });
    }
    pending.clear();
  };
  return {
    add(scope: Scope) {
      pending.add(scope);
      timer ??= setTimeout(flush, INVALIDATE_DELAY_MS);
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}

/** Which queries an event makes stale; null for events the dashboard does not show yet. */
function scopeOf(event: StreamEvent): Scope | null {
  switch (event.type) {
    // Score, history and insights are computed together.
    case 'score.updated':
      return 'health';
    // Summary, series and the catalogue (an ingest can add a custom type). The score follows
    // in its own score.updated once the server has recalculated.
    case 'metrics.ingested':
      return 'metrics';
    // The lists, the counts (the navigation's badge), the deliveries and the rules' open alert.
    case 'alert.triggered':
    case 'alert.acknowledged':
    case 'alert.resolved':
      return 'alerts';
    case 'resync':
      return 'all';
    default:
      return null;
  }
}

/**
 * Keeps the signed-in organization's queries fresh from the event stream. Mount it once,
 * behind the session guard: it reconnects from scratch when the organization changes and
 * closes on sign-out or unmount.
 */
export function useLiveEvents(): void {
  const orgId = useSession((s) => (s.status === 'authenticated' ? (s.organization?.id ?? null) : null));
  const queryClient = useQueryClient();

  useEffect(() => {
    if (orgId === null || typeof EventSource === 'undefined') return;
    const invalidate = invalidator(queryClient, orgId);
    const close = connectLive({
      onEvent: (event) => {
        const scope = scopeOf(event);
        if (scope) invalidate.add(scope);
      },
      onStatus: (status) => useLiveStatus.setState({ status }),
      onGap: () => invalidate.add('all'),
    });
    return () => {
      close();
      invalidate.cancel();
      useLiveStatus.setState({ status: 'off' });
    };
  }, [orgId, queryClient]);
}
