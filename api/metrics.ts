import type { MiddlewareHandler } from 'hono';
import { metrics } from '../platform/metrics.js';

/**
 * Times every request by its route pattern (not its path, so client ids never become labels). The metrics
 * server (platform/metrics-server.ts) serves them, on a port of its own: the public API has no `/metrics`.
 */
export function timeRequests(): MiddlewareHandler {
  return async function timeRequest(c, next) {
    const stop = metrics.httpDuration.startTimer();
    await next();
    stop({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  };
}
