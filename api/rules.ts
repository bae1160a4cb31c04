import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { identifier } from '../platform/text.js';
import { eventsOfOneClient, ruleSchema, slug } from '../rules/rule-schema.js';
import { jsonPointer, type RuleProblem } from '../rules/rule-validation.js';
import { simulate } from '../rules/simulate.js';
import { requireRole, type AuthEnv } from './auth.js';
import { GUARDED_RESPONSES, problem, problemResponse } from './problem.js';
import type { Actor, RuleAdminStore } from './rule-admin-store.js';
import { createRouter } from './router.js';

const security = [{ bearer: [] }];
const forAdmins = requireRole('admin');
const forOperations = requireRole('support', 'admin');
const refusals = {
  ...GUARDED_RESPONSES,
  400: problemResponse('The request is not valid; `errors` names each field by JSON pointer and what to fix'),
  403: problemResponse('The token’s role may not do this'),
};

/** A rule document in the engine's rule format (docs: README, "The five-minute achievement"). */
const ruleDocument = z.looseObject({}).openapi('RuleDocument', {
  description:
    'id, trigger, filter, measure, window, levels, and optionally audience and examples; version is assigned',
});

const progressOnActivation = z.union([
  z.object({ kept: z.literal(true), since: z.number().int() }),
  z.object({ kept: z.literal(false), startsAt: z.literal('activation') }),
]);

const listRoute = createRoute({
  method: 'get',
  path: '/v1/admin/rules',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary: 'Every rule with its versions, which one is live, since when, and where it went live',
  responses: {
    200: {
      description: 'The rules',
      content: {
        'application/json': {
          schema: z.object({
            rules: z.array(
              z.object({
                ruleId: z.string(),
                versions: z.array(
                  z.object({
                    version: z.number().int(),
                    createdAt: z.string(),
                    createdBy: z.string(),
                    document: z.unknown(),
                  }),
                ),
                active: z
                  .object({
                    version: z.number().int(),
                    since: z.string(),
                    progress: progressOnActivation,
                    livePartitions: z.array(
                      z.object({
                        topic: z.string(),
                        partition: z.number().int(),
                        fromOffset: z.string(),
                        at: z.string(),
                      }),
                    ),
                  })
                  .nullable(),
              }),
            ),
          }),
        },
      },
    },
    ...refusals,
  },
});

const createRuleRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules',
  tags: ['rules'],
  security,
  middleware: forAdmins,
  summary: 'A new version of a rule (a new rule, or an edit): validated, and refused if its examples fail',
  request: { body: { required: true, content: { 'application/json': { schema: ruleDocument } } } },
  responses: {
    201: {
      description: 'The version was stored (not yet live: activate it)',
      content: {
        'application/json': { schema: z.object({ ruleId: z.string(), version: z.number().int() }) },
      },
    },
    ...refusals,
  },
});

const versionParams = z.object({
  ruleId: slug(),
  version: z.coerce.number().int().positive().max(2_147_483_647),
});

const activateRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/{ruleId}/versions/{version}/activate',
  tags: ['rules'],
  security,
  middleware: forAdmins,
  summary: 'Makes a version live on every processor, from one recorded offset of each partition',
  request: {
    params: versionParams,
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z
            .object({
              backfillFrom: z.iso.datetime({ offset: true }).optional(),
              policy: z
                .object({
                  notify: z.boolean().optional(),
                  levels: z.enum(['all', 'highest']).optional(),
                  maxPoints: z.number().int().nonnegative().optional(),
                })
                .strict()
                .optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    202: {
      description: 'Accepted: live on every processor within seconds',
      content: {
        'application/json': {
          schema: z.object({
            ruleId: z.string(),
            version: z.number().int(),
            outcome: z.enum(['activated', 'already-active']),
            progress: progressOnActivation,
          }),
        },
      },
    },
    404: problemResponse('No such rule version'),
    ...refusals,
  },
});

const deactivateRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/{ruleId}/deactivate',
  tags: ['rules'],
  security,
  middleware: forAdmins,
  summary: 'Stops a rule: no new progress or unlocks; earned unlocks stay',
  request: { params: z.object({ ruleId: slug() }) },
  responses: {
    202: {
      description: 'Accepted',
      content: {
        'application/json': {
          schema: z.object({ ruleId: z.string(), outcome: z.enum(['deactivated', 'not-active']) }),
        },
      },
    },
    404: problemResponse('No such rule'),
    ...refusals,
  },
});

const simulateBody = z.looseObject({}).openapi('Simulation', {
  description:
    '{ "rule": a rule document, "events": one client’s transactions and client events in arrival order (at most 1000), "segments"?: the client’s segments }',
});

const simulatedEvent = z.object({
  eventId: z.string(),
  time: z.string(),
  counted: z.boolean(),
  why: z.string(),
  measure: z.number(),
  unlocked: z.array(z.string()),
});

const simulateRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/simulate',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary: 'Runs events through a rule: per event whether it counted and why not, the measure, the unlocks',
  request: { body: { required: true, content: { 'application/json': { schema: simulateBody } } } },
  responses: {
    200: {
      description: 'The trace, and the rule’s own examples checked',
      content: {
        'application/json': {
          schema: z.object({ events: z.array(simulatedEvent), unlocked: z.array(z.string()) }),
        },
      },
    },
    ...refusals,
  },
});

const MAX_SEGMENT_IMPORT = 100_000;

const segmentRoute = createRoute({
  method: 'put',
  path: '/v1/admin/segments/{segmentId}/members',
  tags: ['rules'],
  security,
  middleware: forAdmins,
  summary: 'Adds clients to a targeting segment (or, with replace, makes them its only members)',
  request: {
    params: z.object({ segmentId: slug() }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              clientIds: z.array(identifier()).min(1).max(MAX_SEGMENT_IMPORT),
              replace: z.boolean().default(false),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    202: {
      description: 'Accepted: members see the segment’s rules within seconds',
      content: {
        'application/json': {
          schema: z.object({
            segmentId: z.string(),
            added: z.number().int(),
            removed: z.number().int(),
            members: z.number().int(),
          }),
        },
      },
    },
    ...refusals,
  },
});

/** A 400 naming every field to fix by JSON pointer. */
function invalid(c: Context, problems: RuleProblem[]) {
  return problem(c, {
    title: 'Bad Request',
    status: 400,
    detail: `${problems[0]!.pointer || '/'}: ${problems[0]!.detail}`,
    errors: problems,
  });
}

const simulationSchema = z
  .object({
    rule: z.looseObject({}),
    events: eventsOfOneClient(1000),
    segments: z.array(slug()).max(100).default([]),
  })
  .strict();

/** Rule administration (CONTRACT §6): support reads and simulates, admins change. */
export function ruleRoutes(store: RuleAdminStore, zone: string) {
  const actorOf = (c: Context<AuthEnv>): Actor => {
    const { sub, role } = c.get('principal');
    return { actorId: sub, actorRole: role };
  };
  const app = createRouter<AuthEnv>();
  app.openapi(listRoute, async (c) => c.json({ rules: await store.list() }, 200));
  app.openapi(createRuleRoute, async (c) => {
    const created = await store.create(c.req.valid('json'), actorOf(c));
    if (!created.ok) return invalid(c, created.problems);
    return c.json({ ruleId: created.ruleId, version: created.version }, 201);
  });
  app.openapi(activateRoute, async (c) => {
    const { ruleId, version } = c.req.valid('param');
    if (c.req.valid('json')?.backfillFrom !== undefined)
      return problem(c, {
        title: 'Bad Request',
        status: 400,
        detail:
          'backfillFrom: backfills over history are not available in this version; activate without it.',
      });
    const activation = await store.activate(ruleId, version, actorOf(c));
    if (activation.outcome === 'no-such-version')
      return problem(c, {
        title: 'Not Found',
        status: 404,
        detail: `Rule ${ruleId} has no version ${version}; see GET /v1/admin/rules.`,
      });
    return c.json({ ruleId, ...activation }, 202);
  });
  app.openapi(deactivateRoute, async (c) => {
    const { ruleId } = c.req.valid('param');
    const outcome = await store.deactivate(ruleId, actorOf(c));
    if (outcome === 'no-such-rule')
      return problem(c, {
        title: 'Not Found',
        status: 404,
        detail: `No rule ${ruleId}; see GET /v1/admin/rules.`,
      });
    return c.json({ ruleId, outcome }, 202);
  });
  app.openapi(simulateRoute, (c) => {
    const body = simulationSchema.safeParse(c.req.valid('json'));
    if (!body.success)
      return invalid(
        c,
        body.error.issues.map((issue) => ({ pointer: jsonPointer(issue.path), detail: issue.message })),
      );
    const rule = ruleSchema.safeParse({ version: 1, ...body.data.rule });
    if (!rule.success)
      return invalid(
        c,
        rule.error.issues.map((issue) => ({
          pointer: jsonPointer(['rule', ...issue.path]),
          detail: issue.message,
        })),
      );
    const events = simulate(rule.data, body.data.events, zone, body.data.segments);
    return c.json({ events, unlocked: events.flatMap((event) => event.unlocked) }, 200);
  });
  app.openapi(segmentRoute, async (c) => {
    const { segmentId } = c.req.valid('param');
    const { clientIds, replace } = c.req.valid('json');
    const imported = await store.importSegment(segmentId, [...new Set(clientIds)], replace, actorOf(c));
    return c.json({ segmentId, ...imported }, 202);
  });
  return app;
}
