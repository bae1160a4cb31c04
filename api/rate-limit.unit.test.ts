import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AuthEnv } from './auth.js';
import { rateLimitPerCaller } from './rate-limit.js';

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
