import type { Context, MiddlewareHandler } from 'hono';
import type { AuthEnv } from './auth.js';
import { problem } from './problem.js';

export interface RateWindow {
  /** Requests (or failures) allowed per window. */
  limit: number;
  windowMs: number;
}

/** The API's limits: per caller for what callers may do, per source for what they fail at. */
export interface ApiLimits {
  /** Per client, on `/v1/me/*`. */
  client: RateWindow;
  /** Per employee, on every operations route. */
  operations: RateWindow;
  /** Per employee, on explain, which reads the client's history from Kafka. */
  explain: RateWindow;
  /** Per source address, failed authentications (bad tokens, bad partner signatures). */
  failedAuth: RateWindow;
}

export const DEFAULT_LIMITS: ApiLimits = {
  client: { limit: 120, windowMs: 60_000 },
  operations: { limit: 60, windowMs: 60_000 },
  explain: { limit: 10, windowMs: 60_000 },
  failedAuth: { limit: 30, windowMs: 60_000 },
};

/** Past this many keys, expired windows are swept (and all, if none expired), so memory stays bounded. */
const MAX_KEYS = 100_000;

/**
 * Fixed-window counters per key. In memory: each API instance counts its own share, which is enough behind a
 * balancer that spreads a caller's requests.
 */
class FixedWindows {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly window: RateWindow,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private current(key: string) {
    const now = this.nowMs();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.window.windowMs) {
      if (this.windows.size >= MAX_KEYS) this.sweep(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  private sweep(now: number) {
    for (const [key, window] of this.windows)
      if (now - window.start >= this.window.windowMs) this.windows.delete(key);
    if (this.windows.size >= MAX_KEYS) this.windows.clear();
  }

  /** Counts one for `key`. */
  hit(key: string) {
    this.current(key).count++;
  }

  /** Seconds until `key` may go on, when it has used up its window; undefined while it may. */
  retryAfterS(key: string): number | undefined {
    const window = this.current(key);
    if (window.count < this.window.limit) return undefined;
    return Math.max(1, Math.ceil((window.start + this.window.windowMs - this.nowMs()) / 1000));
  }

  describe(what: string) {
    return `At most ${this.window.limit} ${what} per ${this.window.windowMs / 1000} s`;
  }
}

function tooMany(c: Context, detail: string, retryAfterS: number) {
  c.header('Retry-After', String(retryAfterS));
  return problem(c, {
    title: 'Too Many Requests',
    status: 429,
    detail: `${detail}; retry in ${retryAfterS} s.`,
  });
}

/** Lets `limit` requests per window through for each caller (the token's subject); then 429 with Retry-After. */
export function rateLimitPerCaller(window: RateWindow, nowMs?: () => number): MiddlewareHandler<AuthEnv> {
  const windows = new FixedWindows(window, nowMs);
  return async function limitRate(c, next) {
    const caller = c.get('principal').sub;
    const retryAfterS = windows.retryAfterS(caller);
    if (retryAfterS !== undefined) return tooMany(c, windows.describe('requests'), retryAfterS);
    windows.hit(caller);
    await next();
  };
}

/**
 * Counts the requests of a key (a source address) that failed authentication (401) and, once `limit` of them
 * failed in a window, answers its further failures 429 with Retry-After instead. The credential is always
 * checked first: a source is an address, and behind a proxy whose hops are not trusted (`TRUSTED_PROXY_HOPS`)
 * or a bank's NAT it is everyone's, so refusing the source would lock out every valid caller behind it when
 * one guesser fails 30 times. A valid token or signature therefore always passes; a guesser is told to back
 * off, but each guess still costs a verification (an HMAC, or a signature against a cached key), and a
 * 256-bit key is out of reach of guessing online anyway.
 */
export function limitFailedAuthentication(
  window: RateWindow,
  keyOf: (c: Context) => string,
  nowMs?: () => number,
): MiddlewareHandler {
  const failures = new FixedWindows(window, nowMs);
  return async function limitFailures(c, next) {
    await next();
    if (c.res.status !== 401) return;
    const key = keyOf(c);
    const retryAfterS = failures.retryAfterS(key);
    if (retryAfterS === undefined) {
      failures.hit(key);
      return;
    }
    // Not a challenge to try another token: the answer is to wait.
    c.header('WWW-Authenticate', undefined);
    c.res = tooMany(c, failures.describe('failed authentications from one source'), retryAfterS);
  };
}
