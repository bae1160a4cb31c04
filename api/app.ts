import { swaggerUI } from '@hono/swagger-ui';
import { HTTPException } from 'hono/http-exception';
import type { HealthReport } from '../platform/health.js';
import { logger } from '../platform/logger.js';
import { adminRoutes, type ExplainSources } from './admin.js';
import type { AdminReads } from './admin-reads.js';
import { authenticate, type AuthOptions } from './auth.js';
import { catalogRoutes } from './catalog.js';
import { DEFAULT_EDGE, edgeMiddleware, type EdgeOptions } from './edge.js';
import { rateLimitPerCaller, type RateLimitOptions } from './rate-limit.js';
import { healthRoutes } from './health.js';
import { metricsRoutes, timeRequests } from './metrics.js';
import { meRoutes, type MeDependencies } from './me.js';
import { partnerCallbackRoutes, type PartnerCallbackDependencies } from './partner-callbacks.js';
import { problem } from './problem.js';
import { createRouter } from './router.js';

export interface ApiDependencies {
  checkHealth: () => Promise<HealthReport>;
  partnerCallbacks: PartnerCallbackDependencies;
  auth: AuthOptions;
  me: MeDependencies;
  admin: AdminReads;
  explain: ExplainSources;
  edge?: EdgeOptions;
  rateLimit?: RateLimitOptions;
}

/** The HTTP API as a Hono app; tests call `app.request()` on it without a listening server. */
export function createApp(deps: ApiDependencies) {
  const app = createRouter();
  app.use('*', timeRequests());
  for (const middleware of edgeMiddleware(deps.edge ?? DEFAULT_EDGE)) app.use('*', middleware);
  app.route('/', metricsRoutes());
  app.route('/', healthRoutes(deps.checkHealth));
  app.route('/', partnerCallbackRoutes(deps.partnerCallbacks));
  app.route('/', catalogRoutes(deps.me.catalog));
  app.use('/v1/me/*', authenticate(deps.auth));
  app.use('/v1/me/*', rateLimitPerCaller(deps.rateLimit ?? { limit: 120, windowMs: 60_000 }));
  app.route('/', meRoutes(deps.me));
  app.use('/v1/admin/*', authenticate(deps.auth));
  app.route('/', adminRoutes(deps.me.catalog, deps.admin, deps.explain));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Achievements and loyalty API',
      version: '1',
      description:
        'For the mobile app, partners and operations (CONTRACT §4 and §5). Errors are problem+json.',
    },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'Achievements and loyalty API' }));

  app.notFound((c) =>
    problem(c, {
      title: 'Not Found',
      status: 404,
      detail: `No route ${c.req.method} ${c.req.path}; see /openapi.json`,
    }),
  );
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      return problem(c, { title: 'Request refused', status: error.status, detail: error.message });
    }
    logger('api').error({ err: error, path: c.req.path }, 'unhandled error');
    return problem(c, {
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server failed; try again later.',
    });
  });
  return app;
}
