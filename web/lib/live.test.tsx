import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource, stubEventSource } from '@/test/event-source';
import { headersOf, json, mockFetch, organization, problem, signIn, tokens } from '@/test/helpers';
import { backoffDelay, INVALIDATE_DELAY_MS, useLiveEvents, useLiveStatus } from './live';
import { queryKeys } from './queries';
import { useSession } from './session';

const series = { from: '2026-01-01T00:00:00Z', to: '2026-11-01T00:00:00Z', granularity: 'month' } as const;

/** A client holding one entry under every key the stream may invalidate, all fresh. */
function seededClient(orgId = 'o_1') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  const keys = {
    score: queryKeys.healthScore(orgId),
    history: queryKeys.healthHistory(orgId, series.from, series.to),
    insights: queryKeys.insights(orgId),
    summary: queryKeys.metricSummary(orgId),
    series: queryKeys.metricSeries(orgId, 'revenue', series),
    organization: queryKeys.organization(orgId),
    alerts: queryKeys.alertList(orgId, 'active'),
    alertCounts: queryKeys.alertCounts(orgId),
    alertRules: queryKeys.alertRules(orgId),
  };
  for (const key of Object.values(keys)) client.setQueryData(key, { seeded: true });
  const invalidated = () =>
    Object.entries(keys)
      .filter(([, key]) => client.getQueryState(key)?.isInvalidated)
      .map(([name]) => name)
      .sort();
  return { client, invalidated };
}

function mountHook(client: QueryClient) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  return renderHook(() => useLiveEvents(), { wrapper });
}

/** Lets pending promises (the mocked ticket fetch) settle without moving the fake clock. */
async function settle() {
  await act(async () => {
    for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  });
}

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
  await settle();
}

/** Stubs the ticket endpoint with t1, t2, …; returns how many were issued. */
function ticketServer() {
  let issued = 0;
  const fetch = mockFetch({
    'POST /stream/ticket': () => {
      issued += 1;
      return json(200, { ticket: `t${issued}`, expires_in: 30 });
    },
  });
  return { fetch, issued: () => issued };
}

const status = () => useLiveStatus.getState().status;

const scoreUpdated = {
  overall: 61.2,
  financial: 40.5,
  customer: 75.3,
  operational: 89.7,
  growth: 35.2,
  risk: null,
  coverage: 0.9,
  confidence: 1,
  model_version: '1.0.0',
  calculated_at: '2026-11-24T22:40:00Z',
};

describe('useLiveEvents', () => {
  let sources: FakeEventSource[];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    sources = stubEventSource();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens the stream with a fresh ticket and reports connecting, then live', async () => {
    signIn();
    const { fetch } = ticketServer();
    mountHook(seededClient().client);
    expect(status()).toBe('connecting');
    await settle();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/stream/ticket');
    expect(fetch.mock.calls[0][1]?.method).toBe('POST');
    expect(headersOf(fetch).Authorization).toBe('Bearer access-1');
    expect(sources).toHaveLength(1);
    expect(sources[0].url).toBe('/api/v1/stream?ticket=t1');
    act(() => sources[0].open());
    expect(status()).toBe('live');
  });

  it('invalidates the score, history and insights on score.updated', async () => {
    signIn();
    ticketServer();
    const { client, invalidated } = seededClient();
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    act(() => sources[0].emit('score.updated', scoreUpdated, 42));
    // Gathered for a moment, so that a burst of events costs one refetch.
    expect(invalidated()).toEqual([]);
    await advance(INVALIDATE_DELAY_MS);
    expect(invalidated()).toEqual(['history', 'insights', 'score']);
  });

  it('invalidates the metric summary and series on metrics.ingested', async () => {
    signIn();
    ticketServer();
    const { client, invalidated } = seededClient();
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    act(() =>
      sources[0].emit('metrics.ingested', { accepted: 1, updated: 0, metric_types: ['expenses'], source: 'api' }, 7),
    );
    await advance(INVALIDATE_DELAY_MS);
    expect(invalidated()).toEqual(['series', 'summary']);
  });

  it('invalidates every query on resync', async () => {
    signIn();
    ticketServer();
    const { client, invalidated } = seededClient();
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    act(() => sources[0].emit('score.updated', scoreUpdated, 8));
    // Not an event of the log: no id.
    act(() => sources[0].emit('resync', { reason: 'too far behind' }, null));
    await advance(INVALIDATE_DELAY_MS);
    expect(invalidated()).toEqual(['alertCounts', 'alertRules', 'alerts', 'history', 'insights', 'organization', 'score', 'series', 'summary']);
    // A reconnection still resumes after the last event that had an id.
    act(() => sources[0].fail());
    await advance(1000);
    expect(sources[1].params.get('last_event_id')).toBe('8');
  });

  it('invalidates the alert lists, counts and rules on each alert event', async () => {
    signIn();
    ticketServer();
    const alert = { id: 'a1', rule_id: 'r1', status: 'active', severity: 'high', title: 'Revenue below 20,000' };
    for (const type of ['alert.triggered', 'alert.acknowledged', 'alert.resolved']) {
      const { client, invalidated } = seededClient();
      const spy = vi.spyOn(client, 'invalidateQueries');
      const { unmount } = mountHook(client);
      await settle();
      const source = sources.at(-1)!;
      act(() => source.open());
      act(() => source.emit(type, alert, 5));
      expect(invalidated()).toEqual([]);
      await advance(INVALIDATE_DELAY_MS);
      expect(invalidated(), type).toEqual(['alertCounts', 'alertRules', 'alerts']);
      expect(spy.mock.calls.map((c) => c[0]?.queryKey)).toEqual([['alerts', 'o_1']]);
      unmount();
    }
  });

  it('gathers a burst of alert events into one refetch of the alerts', async () => {
    signIn();
    ticketServer();
    const { client } = seededClient();
    const spy = vi.spyOn(client, 'invalidateQueries');
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    act(() => {
      sources[0].emit('alert.triggered', { id: 'a1' }, 1);
      sources[0].emit('alert.acknowledged', { id: 'a1' }, 2);
      sources[0].emit('alert.resolved', { id: 'a1' }, 3);
      sources[0].emit('metrics.ingested', { accepted: 1, updated: 0, metric_types: ['revenue'], source: 'api' }, 4);
    });
    await advance(INVALIDATE_DELAY_MS);
    expect(spy.mock.calls.map((c) => c[0]?.queryKey)).toEqual([['metrics', 'o_1'], ['alerts', 'o_1']]);
  });

  it('ignores integration events, and reads events sent without an event name', async () => {
    signIn();
    ticketServer();
    const { client, invalidated } = seededClient();
    const spy = vi.spyOn(client, 'invalidateQueries');
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    act(() => sources[0].emit('integration.synced', { provider: 'stripe' }, 3));
    await advance(INVALIDATE_DELAY_MS);
    expect(spy).not.toHaveBeenCalled();
    act(() => sources[0].emit('score.updated', scoreUpdated, 4, { named: false }));
    await advance(INVALIDATE_DELAY_MS);
    expect(invalidated()).toEqual(['history', 'insights', 'score']);
    act(() => sources[0].emit('alert.triggered', { id: 'a2' }, 5, { named: false }));
    await advance(INVALIDATE_DELAY_MS);
    expect(invalidated()).toEqual(['alertCounts', 'alertRules', 'alerts', 'history', 'insights', 'score']);
  });

  it('gathers a burst of events into one invalidation per scope', async () => {
    signIn();
    ticketServer();
    const { client } = seededClient();
    const spy = vi.spyOn(client, 'invalidateQueries');
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    act(() => {
      for (let id = 1; id <= 20; id += 1) {
        sources[0].emit('metrics.ingested', { accepted: 1, updated: 0, metric_types: ['revenue'], source: 'api' }, id);
      }
      sources[0].emit('score.updated', scoreUpdated, 21);
    });
    await advance(INVALIDATE_DELAY_MS);
    expect(spy.mock.calls.map((c) => c[0]?.queryKey)).toEqual([['health', 'o_1'], ['metrics', 'o_1']]);
  });

  it('after an error closes the EventSource and reconnects with a new ticket and last_event_id', async () => {
    signIn();
    const { issued } = ticketServer();
    mountHook(seededClient().client);
    await settle();
    act(() => sources[0].open());
    act(() => {
      sources[0].emit('metrics.ingested', { accepted: 1, updated: 0, metric_types: ['revenue'], source: 'api' }, 41);
      sources[0].emit('score.updated', scoreUpdated, 42);
    });
    act(() => sources[0].fail());
    // Closed at once, so the browser never retries with the spent ticket.
    expect(sources[0].closed).toBe(true);
    expect(status()).toBe('reconnecting');
    await advance(backoffDelay(0) - 1);
    expect(sources).toHaveLength(1);
    await advance(1);
    expect(issued()).toBe(2);
    expect(sources).toHaveLength(2);
    expect(sources[1].params.get('ticket')).toBe('t2');
    expect(sources[1].params.get('last_event_id')).toBe('42');
    act(() => sources[1].open());
    expect(status()).toBe('live');
  });

  it('backs off 1 s, 2 s, 4 s … up to 30 s, and starts again at 1 s after a successful open', async () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(backoffDelay)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    signIn();
    ticketServer();
    mountHook(seededClient().client);
    await settle();

    const waits: number[] = [];
    // Every connection fails before it opens; measure how long each reconnection waits.
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const count = sources.length;
      act(() => sources[count - 1].fail());
      let waited = 0;
      while (sources.length === count) {
        await advance(500);
        waited += 500;
        if (waited > 60_000) throw new Error('no reconnection');
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);

    act(() => sources.at(-1)!.open());
    const count = sources.length;
    act(() => sources.at(-1)!.fail());
    await advance(1000);
    expect(sources).toHaveLength(count + 1);
  });

  it('retries with backoff when no ticket can be had', async () => {
    signIn();
    let calls = 0;
    mockFetch({
      'POST /stream/ticket': () => {
        calls += 1;
        return calls <= 2 ? problem(503, 'Starting up') : json(200, { ticket: 'tok', expires_in: 30 });
      },
    });
    mountHook(seededClient().client);
    await settle();
    expect(calls).toBe(1);
    expect(status()).toBe('reconnecting');
    expect(sources).toHaveLength(0);
    await advance(1000);
    expect(calls).toBe(2);
    await advance(1999);
    expect(calls).toBe(2);
    await advance(1);
    expect(calls).toBe(3);
    expect(sources).toHaveLength(1);
    expect(sources[0].params.get('ticket')).toBe('tok');
  });

  it('refetches everything after a reconnection it cannot resume (no event received yet)', async () => {
    signIn();
    ticketServer();
    const { client, invalidated } = seededClient();
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    await advance(INVALIDATE_DELAY_MS);
    // The first open is not a gap: the pages have just fetched.
    expect(invalidated()).toEqual([]);
    act(() => sources[0].fail());
    await advance(1000);
    expect(sources[1].params.has('last_event_id')).toBe(false);
    act(() => sources[1].open());
    await advance(INVALIDATE_DELAY_MS);
    expect(invalidated()).toEqual(['alertCounts', 'alertRules', 'alerts', 'history', 'insights', 'organization', 'score', 'series', 'summary']);
  });

  it('closes on unmount and never reconnects afterwards', async () => {
    signIn();
    const { issued } = ticketServer();
    const { unmount } = mountHook(seededClient().client);
    await settle();
    act(() => sources[0].open());
    unmount();
    expect(sources[0].closed).toBe(true);
    expect(status()).toBe('off');
    await advance(60_000);
    expect(sources).toHaveLength(1);
    expect(issued()).toBe(1);
  });

  it('drops a ticket that arrives after unmount, and a pending reconnection', async () => {
    signIn();
    const { issued } = ticketServer();
    const first = mountHook(seededClient().client);
    // Unmounted while the ticket is on its way.
    first.unmount();
    await settle();
    expect(sources).toHaveLength(0);

    const second = mountHook(seededClient().client);
    await settle();
    act(() => sources[0].fail());
    second.unmount();
    await advance(60_000);
    expect(sources).toHaveLength(1);
    expect(issued()).toBe(2);
  });

  it('closes on logout', async () => {
    signIn();
    ticketServer();
    mountHook(seededClient().client);
    await settle();
    act(() => sources[0].open());
    act(() => useSession.getState().clear());
    expect(sources[0].closed).toBe(true);
    expect(status()).toBe('off');
  });

  it('reconnects from scratch when the organization changes, but not when the token is renewed', async () => {
    signIn();
    ticketServer();
    const { client, invalidated } = seededClient('o_2');
    const spy = vi.spyOn(client, 'invalidateQueries');
    mountHook(client);
    await settle();
    act(() => sources[0].open());
    act(() => sources[0].emit('score.updated', scoreUpdated, 42));

    // A renewed access token for the same organization keeps the connection.
    act(() => useSession.getState().setTokens(tokens({ access_token: 'access-2' })));
    await settle();
    expect(sources).toHaveLength(1);
    expect(sources[0].closed).toBe(false);

    act(() => useSession.getState().setTokens(tokens({ organization: { ...organization, id: 'o_2' } })));
    expect(sources[0].closed).toBe(true);
    await settle();
    expect(sources).toHaveLength(2);
    // A new organization's stream starts from now: its event ids are not the old one's.
    expect(sources[1].params.has('last_event_id')).toBe(false);
    act(() => sources[1].open());
    act(() => sources[1].emit('score.updated', scoreUpdated, 3));
    await advance(INVALIDATE_DELAY_MS);
    // The event invalidates the new organization's keys (the old one's pending batch is dropped).
    expect(invalidated()).toEqual(['history', 'insights', 'score']);
    expect(spy.mock.calls.map((c) => c[0]?.queryKey)).toEqual([['health', 'o_2']]);
  });

  it('does nothing without a session or without EventSource', async () => {
    const { fetch } = ticketServer();
    const { unmount } = mountHook(seededClient().client);
    await settle();
    expect(fetch).not.toHaveBeenCalled();
    expect(status()).toBe('off');
    unmount();

    vi.stubGlobal('EventSource', undefined);
    signIn();
    mountHook(seededClient().client);
    await settle();
    expect(fetch).not.toHaveBeenCalled();
    expect(status()).toBe('off');
  });
});
