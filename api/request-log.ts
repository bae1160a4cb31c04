import type { MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import { logger } from '../platform/logger.js';

/**
 * Every request gets an id: the caller's `X-Request-Id` when it sends a sane one (a gateway's, so its logs and
 * ours line up), a new UUID otherwise. It is answered in `X-Request-Id`, so the app or a partner can quote it
 * to support, and every line logged about the request carries it as `requestId`.
 */
export function identifyRequests(): MiddlewareHandler {
  return requestId({ limitLength: 128 });
}

/** Probes come every few seconds from the platform: their lines only at debug level. */
const ROUTINE = new Set(['/health']);

/** One line per request: its route pattern (never its path, which can hold a client id), status and time. */
export function logRequests(): MiddlewareHandler {
  const log = logger('api');
  return async function logRequest(c, next) {
    const started = performance.now();
    await next();
    const level = ROUTINE.has(c.req.routePath) ? 'debug' : 'info';
    log[level](
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request answered',
    );
  };
}
