import type { MiddlewareHandler } from 'hono';

import { metrics, registry } from '../platform/metrics.js';
import { createRouter } from './router.js';

/** Times every request by its route pattern (not its path, so client ids never become labels). */
export function timeRequests(): MiddlewareHandler {
  return async function timeRequest(c, next) {
    const stop = metrics.httpDuration.startTimer();
    await next();
    stop({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  };
}

/** `GET /metrics`: Prometheus text format. */
export function metricsRoutes() {
  return createRouter().get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics());
  });
}
