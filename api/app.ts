import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isRecordFault } from '../platform/failures.js';
import type { HealthReport } from '../platform/health.js';
import { logger } from '../platform/logger.js';
import { adminRoutes, type ExplainSources } from './admin.js';
import type { AdminReads } from './admin-reads.js';
import { requireApproval, type ApprovalSettings } from './approvals.js';
import { authenticate, type AuthOptions } from './auth.js';
import type { ReplayDependencies } from './backfill-request.js';
import { dryRunRoutes } from './dry-runs.js';
import { deadLetterRoutes } from './dead-letter-routes.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import { consoleRoutes, type ConsoleSettings } from './console.js';
import { catalogRoutes } from './catalog.js';
import { docsRoutes } from './docs.js';
import { ruleSchemaComponents } from './rule-document.js';
import { DEFAULT_EDGE, edgeMiddleware, type EdgeOptions } from './edge.js';
import {
  DEFAULT_LIMITS,
  limitFailedAuthentication,
  rateLimitPerCaller,
  type ApiLimits,
} from './rate-limit.js';
import { healthRoutes } from './health.js';
import { timeRequests } from './metrics.js';
import { meRoutes, type MeDependencies } from './me.js';
import { partnerCallbackRoutes, type PartnerCallbackDependencies } from './partner-callbacks.js';
import { privacyRoutes, type PrivacyDependencies } from './privacy.js';
import { problem } from './problem.js';
import { PROPOSAL_KINDS, actionRoutes } from './proposal-kinds.js';
import type { ProposalStore } from './proposal-store.js';
import { dispatchThrough, proposalRoutesOf } from './proposals.js';
import { identifyRequests, logRequests } from './request-log.js';
import type { RuleAdminStore } from './rule-admin-store.js';
import { createRouter } from './router.js';
import { ruleBuilderRoutes } from './rule-builder-routes.js';
import { ruleSimulationRoutes } from './rule-simulation.js';
import { ruleRoutes } from './rules.js';
import { segmentRoutes } from './segments.js';
import { sourceAddress } from './source.js';
import { answerUnrouted } from './unrouted.js';

export interface ApiDependencies {
  checkHealth: () => Promise<HealthReport>;
  partnerCallbacks: PartnerCallbackDependencies;
  auth: AuthOptions;
  me: MeDependencies;
  admin: AdminReads;
  rules: RuleAdminStore;
  /** Dry runs and backfills: what starts them, and their rows. */
  replays: ReplayDependencies;
  explain: ExplainSources;
  /** Exports and erasures of a client's data (CONTRACT §7). */
  privacy: PrivacyDependencies;
  /** The DLQ's index and the redrive of dead letters after a fix. */
  deadLetters: DeadLetterStore;
  /** Four-eyes approvals: whether actions need a second admin, and the proposals waiting for one. */
  approvals: ApprovalSettings;
  proposals: ProposalStore;
  /** Where the console links workflows in the Temporal UI. */
  console?: ConsoleSettings;
  edge?: EdgeOptions;
  limits?: Partial<ApiLimits>;
  /** Proxies of the bank's own in front of the API, whose X-Forwarded-For names the caller's address. */
  trustedProxyHops?: number;
}

const LOCAL_CONSOLE: ConsoleSettings = { temporalUi: 'http://127.0.0.1:8233', namespace: 'default' };

/** Turns an error no route handled into a problem: the caller's fault is a 4xx, a dependency's a 503. */
function answerError(error: Error, c: Context) {
  if (error instanceof HTTPException) {
    return problem(c, { title: 'Request refused', status: error.status, detail: error.message });
  }
  if (isRecordFault(error)) {
    // Validation should have caught it; PostgreSQL refusing a value is still the request's, not the server's.
    logger('api').warn(
      { err: error, requestId: c.get('requestId'), route: c.req.routePath },
      'a value in the request was refused by PostgreSQL',
    );
    return problem(c, {
      title: 'Bad Request',
      status: 400,
      detail:
        'A value in the request cannot be stored (control characters, or too long); correct it and retry.',
    });
  }
  logger('api').error(
    { err: error, requestId: c.get('requestId'), route: c.req.routePath },
    'request failed',
  );
  c.header('Retry-After', '5');
  return problem(c, {
    title: 'Service Unavailable',
    status: 503,
    detail: 'A dependency of the engine did not answer; try again in a few seconds.',
  });
}

/** The HTTP API as a Hono app; tests call `app.request()` on it without a listening server. */
export function createApp(deps: ApiDependencies) {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = createRouter();
  app.use('*', identifyRequests());
  app.use('*', logRequests());
  app.use('*', timeRequests());
  for (const middleware of edgeMiddleware(deps.edge ?? DEFAULT_EDGE)) app.use('*', middleware);
  // One budget of failed authentications per source, shared by every route that checks a token or signature.
  const failedAuth = limitFailedAuthentication(limits.failedAuth, (c) =>
    sourceAddress(c, deps.trustedProxyHops ?? 0),
  );
  for (const guarded of ['/v1/me/*', '/v1/admin/*', '/v1/partners/*']) app.use(guarded, failedAuth);
  app.route('/', healthRoutes(deps.checkHealth));
  app.route('/', partnerCallbackRoutes(deps.partnerCallbacks));
  app.route(
    '/',
    catalogRoutes(
      () => deps.me.catalogs().live,
      Date.now,
      deps.me.budgetsClosed ?? (() => Promise.resolve(new Map())),
    ),
  );
  app.use('/v1/me/*', authenticate(deps.auth));
  app.use('/v1/me/*', rateLimitPerCaller(limits.client));
  app.route('/', meRoutes(deps.me));
  app.use('/v1/admin/*', authenticate(deps.auth));
  for (const kind of PROPOSAL_KINDS) {
    const { method, route } = actionRoutes[kind];
    app.on(method, route, requireApproval(deps.approvals, kind));
  }
  app.route(
    '/',
    adminRoutes(() => deps.me.catalogs().everLive, deps.admin, deps.explain, limits),
  );
  app.route('/', privacyRoutes(deps.privacy));
  app.route('/', dryRunRoutes(deps.replays));
  app.route('/', ruleRoutes(deps.rules, deps.replays));
  app.route('/', ruleSimulationRoutes(deps.me.zone));
  app.route('/', ruleBuilderRoutes());
  app.route('/', segmentRoutes(deps.rules));
  app.route('/', deadLetterRoutes(deps.deadLetters, deps.admin));
  app.route(
    '/',
    proposalRoutesOf(
      {
        store: deps.proposals,
        rules: deps.rules,
        replays: deps.replays,
        audit: deps.admin.audit,
        settings: deps.approvals,
      },
      dispatchThrough(app),
    ),
  );
  for (const [name, schema] of Object.entries(ruleSchemaComponents))
    app.openAPIRegistry.registerComponent('schemas', name, schema as Record<string, unknown>);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'partnerSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Signature',
    description:
      '`sha256=<hex HMAC-SHA256(partner secret, X-Timestamp + "." + raw body)>`, with `X-Timestamp` (unix ' +
      'seconds, within 5 minutes): the partner signs its callback as the engine signed its request (CONTRACT §5)',
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Achievements and loyalty API',
      version: '1',
      description:
        'For the mobile app, partners and operations (CONTRACT §4 and §5). Errors are problem+json.',
      // `identifier` (an SPDX expression) is OpenAPI 3.1's; the library's type knows 3.0's fields only.
      license: {
        name: 'Proprietary: the bank’s, for its app, partners and operations',
        identifier: 'LicenseRef-Proprietary',
      } as { name: string },
    },
    // Relative: the API as this document was read from it (a gateway's address in production).
    servers: [{ url: '/', description: 'this API' }],
  });
  app.route('/', docsRoutes());
  app.route('/', consoleRoutes(deps.console ?? LOCAL_CONSOLE));

  app.notFound(answerUnrouted(app.routes));
  app.onError(answerError);
  return app;
}
