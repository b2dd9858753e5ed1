import { describe, expect, it } from 'vitest';
import { json, mockFetch, problem, signIn, tokens } from '@/test/helpers';
import { ApiError, api, refreshSession } from './api';
import { useSession } from './session';

describe('request', () => {
  it('parses problem+json into an ApiError with field errors', async () => {
    signIn();
    mockFetch({
      'PATCH /organization': problem(422, 'Invalid input', [{ field: 'name', message: 'Too long' }]),
    });
    const error = await api.updateOrganization({ name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, detail: 'Invalid input', requestId: 'req-1' });
    expect((error as ApiError).errors).toEqual([{ field: 'name', message: 'Too long' }]);
  });

  it('on 401 refreshes once with the cookie and retries with the new token', async () => {
    signIn();
    const seen: string[] = [];
    const fetch = mockFetch({
      'GET /organization': (init) => {
        const auth = (init.headers as Record<string, string>).Authorization;
        seen.push(auth);
        return auth === 'Bearer renewed' ? json(200, tokens().organization) : problem(401, 'expired');
      },
      'POST /auth/refresh': (init) => {
        expect((init.headers as Record<string, string>)['X-Session-Mode']).toBe('cookie');
        expect(init.body).toBe('{}');
        return json(200, tokens({ access_token: 'renewed' }));
      },
    });
    const org = await api.getOrganization();
    expect(org.id).toBe('o_1');
    expect(seen).toEqual(['Bearer access-1', 'Bearer renewed']);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('ends the session when the refresh is refused', async () => {
    signIn();
    mockFetch({
      'GET /organization': problem(401, 'expired'),
      'POST /auth/refresh': problem(401, 'no session'),
    });
    await expect(api.getOrganization()).rejects.toMatchObject({ status: 401 });
    expect(useSession.getState()).toMatchObject({ status: 'anonymous', accessToken: null });
  });

  it('shares one refresh between concurrent callers', async () => {
    let calls = 0;
    mockFetch({
      'POST /auth/refresh': async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 10));
        return json(200, tokens());
      },
    });
    const results = await Promise.all([refreshSession(), refreshSession(), refreshSession()]);
    expect(results).toEqual([true, true, true]);
    expect(calls).toBe(1);
    expect(useSession.getState().status).toBe('authenticated');
  });

  it('reports a network failure as status 0', async () => {
    mockFetch({ 'GET /me': () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(api.me()).rejects.toMatchObject({ status: 0 });
  });
});
