import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
import type { Organization, Role, TokenResponse, User } from '@/lib/api';
import { useSession } from '@/lib/session';

export const user: User = {
  id: 'u_1',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  created_at: '2025-01-01T00:00:00Z',
};

export const organization: Organization = {
  id: 'o_1',
  name: 'Acme Ltd',
  slug: 'acme-ltd',
  plan: 'free',
  industry: 'saas',
  currency: 'USD',
  timezone: 'Europe/Berlin',
  settings: {},
  created_at: '2025-01-01T00:00:00Z',
};

export function tokens(overrides: Partial<TokenResponse> = {}): TokenResponse {
  return {
    access_token: 'access-1',
    token_type: 'Bearer',
    expires_in: 900,
    user,
    organization,
    role: 'owner',
    ...overrides,
  };
}

export function signIn(role: Role = 'owner') {
  useSession.getState().setTokens(tokens({ role }));
}

export function json(status: number, body?: unknown, contentType = 'application/json'): Response {
  if (status === 204 || body === undefined) return new Response(null, { status });
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': contentType } });
}

export function problem(status: number, detail: string, errors?: { field: string; message: string }[]): Response {
  return json(
    status,
    { type: 'https://bhd.dev/problems/validation', title: 'Invalid request', status, detail, request_id: 'req-1', errors },
    'application/problem+json',
  );
}

type Handler = (init: RequestInit, url: string) => Response | Promise<Response>;

/**
 * Stubs global fetch with handlers keyed by "METHOD /path" (path without /api/v1). A key
 * with a query string matches exactly; one without matches the path whatever the query.
 */
export function mockFetch(routes: Record<string, Handler | Response>) {
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const key = `${init.method ?? 'GET'} ${url.replace(/^\/api\/v1/, '')}`;
    const route = routes[key] ?? routes[key.replace(/\?.*$/, '')];
    if (!route) throw new Error(`unexpected fetch: ${key}`);
    return typeof route === 'function' ? route(init, url) : route.clone();
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

/** The parsed JSON body of the n-th call to a mocked fetch. */
export function bodyOf(fn: ReturnType<typeof mockFetch>, n = 0): unknown {
  const init = fn.mock.calls[n]?.[1];
  return init?.body ? JSON.parse(String(init.body)) : undefined;
}

export function headersOf(fn: ReturnType<typeof mockFetch>, n = 0): Record<string, string> {
  return (fn.mock.calls[n]?.[1]?.headers ?? {}) as Record<string, string>;
}

export function renderWithClient(ui: ReactElement) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
}
