// A fake EventSource for tests: records every instance and lets the test open, fail and
// feed it events as the server would (`id:`, `event:` and a JSON envelope in `data:`).
import { vi } from 'vitest';

type Listener = (event: Event) => void;

export class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];

  readonly url: string;
  readyState = FakeEventSource.CONNECTING;
  onopen: Listener | null = null;
  onerror: Listener | null = null;
  onmessage: Listener | null = null;
  private lastEventId = '';
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(url: string | URL) {
    this.url = String(url);
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: Listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }

  removeEventListener(type: string, listener: Listener) {
    this.listeners.get(type)?.delete(listener);
  }

  close() {
    this.readyState = FakeEventSource.CLOSED;
  }

  get closed() {
    return this.readyState === FakeEventSource.CLOSED;
  }

  /** The URL's query parameters. */
  get params(): URLSearchParams {
    return new URL(this.url, 'http://localhost').searchParams;
  }

  // Driven by the test ------------------------------------------------------------------

  open() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.(new Event('open'));
  }

  /** A network error or a refused ticket: a real EventSource would now retry on its own. */
  fail() {
    this.readyState = FakeEventSource.CONNECTING;
    this.onerror?.(new Event('error'));
  }

  /**
   * One server event; `named: false` sends it without an `event:` line. `id: null` is an
   * event without an `id:` line (as `resync`): like a browser, it keeps the last id seen.
   */
  emit(type: string, data: unknown, id: number | null, { named = true } = {}) {
    if (this.closed) throw new Error('emit on a closed EventSource');
    if (id !== null) this.lastEventId = String(id);
    const envelope = id === null ? { type, data } : { id, type, at: '2026-11-24T22:33:31Z', data };
    const event = new MessageEvent(named ? type : 'message', {
      data: JSON.stringify(envelope),
      lastEventId: this.lastEventId,
    });
    if (named) this.listeners.get(type)?.forEach((listener) => listener(event));
    else this.onmessage?.(event);
  }
}

/** Replaces globalThis.EventSource with the fake (undone by `vi.unstubAllGlobals`). */
export function stubEventSource() {
  FakeEventSource.instances = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  return FakeEventSource.instances;
}
