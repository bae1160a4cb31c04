import { createRoute, z } from '@hono/zod-openapi';
import type { HealthReport } from '../platform/health.js';
import { createRouter } from './router.js';

const dependencyStatus = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().int(),
  error: z.string().optional(),
});

const healthReport = z
  .object({
    status: z.enum(['up', 'down']),
    dependencies: z.object({
      kafka: dependencyStatus,
      postgres: dependencyStatus,
      temporal: dependencyStatus,
    }),
  })
  .openapi('HealthReport');

const route = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Whether Kafka, PostgreSQL and Temporal answer, one by one',
  responses: {
    200: {
      description: 'Every dependency answers',
      content: { 'application/json': { schema: healthReport } },
    },
    503: {
      description: 'At least one dependency does not answer',
      content: { 'application/json': { schema: healthReport } },
    },
  },
});

/** `GET /health`: 200 when all dependencies answer, 503 naming those that do not. */
export function healthRoutes(checkHealth: () => Promise<HealthReport>) {
  return createRouter().openapi(route, async (c) => {
    const report = await checkHealth();
    return c.json(report, report.status === 'up' ? 200 : 503);
  });
}
