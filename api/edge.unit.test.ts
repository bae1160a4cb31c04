import { describe, expect, it } from 'vitest';
import { initialProgress } from '../rules/progress.js';
import { apiDependencies } from '../test/support/api.js';
import { token } from '../test/support/tokens.js';
import { createApp } from './app.js';

const base = apiDependencies();
const reads = {
  achievementsOf: () => Promise.resolve({ progress: initialProgress(), segments: [] }),
  loyaltyOf: () => Promise.reject(new Error('unused')),
};

describe('the API edge', () => {
  it('refuses a body over the limit with 413 problem+json', async () => {
    const app = createApp({
      ...base,
      edge: { maxBodyBytes: 1024, requestTimeoutMs: 1_000, corsOrigins: [] },
    });
    const response = await app.request('/v1/partners/coffee-house/callbacks', {
      method: 'POST',
      body: 'x'.repeat(2048),
      headers: { 'Content-Type': 'application/json', 'Content-Length': '2048' },
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('keeps CORS closed unless origins are configured', async () => {
    const closed = createApp(base);
    const preflight = {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    };
    expect(
      (await closed.request('/v1/catalog', preflight)).headers.get('access-control-allow-origin'),
    ).toBeNull();
    const open = createApp({
      ...base,
      edge: { maxBodyBytes: 1024, requestTimeoutMs: 1_000, corsOrigins: ['https://app.bank'] },
    });
    const allowed = await open.request('/v1/catalog', { headers: { Origin: 'https://app.bank' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.bank');
  });

  it('answers 503 problem+json when a request runs past the timeout', async () => {
    const slow = { ...reads, achievementsOf: () => new Promise<never>(() => undefined) };
    const app = createApp({
      ...base,
      me: { ...base.me, reads: slow },
      edge: { maxBodyBytes: 1024, requestTimeoutMs: 50, corsOrigins: [] },
    });
    const response = await app.request('/v1/me/achievements', {
      headers: { Authorization: `Bearer ${await token()}` },
    });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/50 ms/);
  });

  it('limits each client separately, with 429 and Retry-After', async () => {
    const app = createApp({
      ...base,
      me: { ...base.me, reads },
      limits: { client: { limit: 2, windowMs: 60_000 } },
    });
    const as = async (sub: string) =>
      (
        await app.request('/v1/me/achievements', {
          headers: { Authorization: `Bearer ${await token({ sub })}` },
        })
      ).status;
    expect([await as('c-1'), await as('c-1'), await as('c-1')]).toEqual([200, 200, 429]);
    expect(await as('c-2')).toBe(200);
    const limited = await app.request('/v1/me/achievements', {
      headers: { Authorization: `Bearer ${await token({ sub: 'c-1' })}` },
    });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('lets a valid token through from a source whose failed authentications are over the limit', async () => {
    // Without a socket every request is one source: everyone behind a proxy whose hops are not trusted.
    const app = createApp({ ...base, me: { ...base.me, reads } });
    const withToken = (jwt: string) =>
      app.request('/v1/me/achievements', { headers: { Authorization: `Bearer ${jwt}` } });
    const guesses = [];
    for (let i = 0; i < 31; i++) guesses.push((await withToken('not.a.jwt')).status);
    expect(guesses.slice(0, 30).every((status) => status === 401)).toBe(true);
    expect(guesses[30]).toBe(429);
    expect((await withToken(await token({ sub: 'c-behind-the-proxy' }))).status).toBe(200);
  });

  it('sets secure headers', async () => {
    const response = await createApp(base).request('/v1/catalog');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each([
    [
      'PostgreSQL refusing a value of the request',
      Object.assign(new Error('invalid byte'), { code: '22021' }),
      400,
    ],
    [
      'PostgreSQL unreachable',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      503,
    ],
  ])('answers %s with %i problem+json, never a 500', async (_case, error, status) => {
    const failing = { ...reads, achievementsOf: () => Promise.reject(error) };
    const app = createApp({ ...base, me: { ...base.me, reads: failing } });
    const response = await app.request('/v1/me/achievements', {
      headers: { Authorization: `Bearer ${await token()}` },
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = await response.text();
    expect(body).not.toMatch(/invalid byte|ECONNREFUSED/);
  });
});
