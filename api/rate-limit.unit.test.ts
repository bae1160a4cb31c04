import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AuthEnv } from './auth.js';
import { limitFailedAuthentication, rateLimitPerCaller } from './rate-limit.js';

function limitedApp(nowMs: () => number) {
  return new Hono<AuthEnv>()
    .use('*', async (c, next) => {
      c.set('principal', { sub: c.req.header('X-Sub') ?? 'c-1', role: 'client' });
      await next();
    })
    .use('*', rateLimitPerCaller({ limit: 2, windowMs: 60_000 }, nowMs))
    .get('/', (c) => c.text('ok'));
}

describe('rateLimitPerCaller', () => {
  it('counts each caller in a window of its own, and lets it go on once its window is over', async () => {
    let now = 1_000_000;
    const app = limitedApp(() => now);
    const call = async () => app.request('/');
    expect([(await call()).status, (await call()).status]).toEqual([200, 200]);
    now += 15_000;
    const refused = await call();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('45');
    now += 44_999;
    expect((await call()).status).toBe(429);
    now += 1;
    expect((await call()).status).toBe(200);
  });
});

describe('limitFailedAuthentication', () => {
  /** Answers 200 to `X-Token: valid` and 401 to anything else, as the routes behind it do. */
  function guardedApp(nowMs: () => number) {
    return new Hono()
      .use(
        '*',
        limitFailedAuthentication(
          { limit: 2, windowMs: 60_000 },
          (c) => c.req.header('X-Source') ?? '',
          nowMs,
        ),
      )
      .get('/', (c) => {
        if (c.req.header('X-Token') === 'valid') return c.text('ok');
        c.header('WWW-Authenticate', 'Bearer');
        return c.text('no', 401);
      });
  }

  it('refuses a source’s failures past the limit, but never a valid token from it', async () => {
    let now = 1_000_000;
    const app = guardedApp(() => now);
    const call = (source: string, token: string) =>
      app.request('/', { headers: { 'X-Source': source, 'X-Token': token } });
    const statuses = async (...calls: [string, string][]) => {
      const answered = [];
      for (const [source, token] of calls) answered.push((await call(source, token)).status);
      return answered;
    };
    expect(await statuses(['proxy', 'guess'], ['proxy', 'guess'], ['proxy', 'guess'])).toEqual([
      401, 401, 429,
    ]);
    // Everyone behind the same proxy with a valid token goes on; the guesser's next failure is refused still.
    expect(await statuses(['proxy', 'valid'], ['proxy', 'valid'], ['elsewhere', 'guess'])).toEqual([
      200, 200, 401,
    ]);
    now += 20_000;
    const refused = await call('proxy', 'guess');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('40');
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('www-authenticate')).toBeNull();
    now += 40_000;
    expect(await statuses(['proxy', 'guess'])).toEqual([401]);
  });
});
