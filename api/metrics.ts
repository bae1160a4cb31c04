import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { metrics, registry } from '../platform/metrics.js';
import { EDGE_RESPONSES } from './problem.js';
import { createRouter } from './router.js';

/** Times every request by its route pattern (not its path, so client ids never become labels). */
export function timeRequests(): MiddlewareHandler {
  return async function timeRequest(c, next) {
    const stop = metrics.httpDuration.startTimer();
    await next();
    stop({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  };
}

const route = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'The engine’s metrics in the Prometheus text format',
  responses: {
    200: { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } },
    ...EDGE_RESPONSES,
  },
});

/** `GET /metrics`: Prometheus text format. */
export function metricsRoutes() {
  return createRouter().openapi(route, async (c) =>
    c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }),
  );
}
