import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from './auth.js';
import { problem } from './problem.js';

export interface RateLimitOptions {
  /** Requests a caller may make per window. */
  limit: number;
  windowMs: number;
  nowMs?: () => number;
}

/**
 * A fixed-window limit per authenticated caller (the token's subject), so one client cannot crowd out the
 * others. In memory: each API instance counts its own share, which is enough behind a balancer that spreads
 * a client's requests.
 */
export function rateLimitPerCaller({
  limit,
  windowMs,
  nowMs = Date.now,
}: RateLimitOptions): MiddlewareHandler<AuthEnv> {
  const windows = new Map<string, { start: number; count: number }>();
  return async function limitRate(c, next) {
    const now = nowMs();
    const caller = c.get('principal').sub;
    let window = windows.get(caller);
    if (!window || now - window.start >= windowMs) {
      if (windows.size > 100_000) windows.clear();
      window = { start: now, count: 0 };
      windows.set(caller, window);
    }
    window.count++;
    if (window.count > limit) {
      const retryAfterS = Math.ceil((window.start + windowMs - now) / 1000);
      c.header('Retry-After', String(retryAfterS));
      return problem(c, {
        title: 'Too Many Requests',
        status: 429,
        detail: `At most ${limit} requests per ${windowMs / 1000} s; retry in ${retryAfterS} s.`,
      });
    }
    await next();
  };
}
