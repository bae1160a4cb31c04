import { createRoute, z } from '@hono/zod-openapi';
import type { HealthReport } from '../platform/health.js';
import { logger } from '../platform/logger.js';
import { EDGE_RESPONSES, problemSchema } from './problem.js';
import { createRouter } from './router.js';

const dependencyStatus = z.object({ status: z.enum(['up', 'down']), latencyMs: z.number().int() });

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
  operationId: 'getHealth',
  // Open to anyone: no sign-in.
  security: [],
  tags: ['operations'],
  summary: 'Whether Kafka, PostgreSQL and Temporal answer, one by one',
  responses: {
    200: {
      description: 'Every dependency answers',
      content: { 'application/json': { schema: healthReport } },
    },
    503: {
      description: 'At least one dependency does not answer (or the check itself took too long)',
      content: {
        'application/json': { schema: healthReport },
        'application/problem+json': { schema: problemSchema },
      },
    },
    413: EDGE_RESPONSES[413],
  },
});

/** A report lives this long, so a flood of anonymous health checks costs the dependencies one probe each. */
const REPORT_TTL_MS = 1_000;

/** Shares one check among callers within `ttlMs`, and logs why a dependency is down (callers only see that it is). */
function sharedCheck(checkHealth: () => Promise<HealthReport>, ttlMs: number) {
  const log = logger('health');
  let latest: { at: number; report: Promise<HealthReport> } | undefined;
  return () => {
    if (!latest || Date.now() - latest.at >= ttlMs) {
      const report = checkHealth().then((result) => {
        for (const [name, dependency] of Object.entries(result.dependencies)) {
          if (dependency.error) log.warn({ dependency: name, error: dependency.error }, 'dependency down');
        }
        return result;
      });
      latest = { at: Date.now(), report };
    }
    return latest.report;
  };
}

/** `GET /health`: 200 when all dependencies answer, 503 naming those that do not; error details stay in the log. */
export function healthRoutes(checkHealth: () => Promise<HealthReport>) {
  const check = sharedCheck(checkHealth, REPORT_TTL_MS);
  return createRouter().openapi(route, async (c) => {
    const report = await check();
    const dependencies = Object.fromEntries(
      Object.entries(report.dependencies).map(([name, { status, latencyMs }]) => [
        name,
        { status, latencyMs },
      ]),
    ) as z.output<typeof healthReport>['dependencies'];
    return c.json({ status: report.status, dependencies }, report.status === 'up' ? 200 : 503);
  });
}
