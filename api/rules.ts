import { createRoute, z } from '@hono/zod-openapi';
import { slug } from '../rules/rule-schema.js';
import type { AuthEnv } from './auth.js';
import { actorOf, forAdmins, forOperations, invalid, refusals, security } from './operations.js';
import { problem, problemResponse } from './problem.js';
import type { RuleAdminStore } from './rule-admin-store.js';
import {
  backfillPolicy,
  backfillRequest,
  backfillRunning,
  type ReplayDependencies,
} from './backfill-request.js';
import { createRouter } from './router.js';
import { ruleDocument } from './rule-document.js';
import { EVALUATION_RESPONSES, evaluationRefused } from './rule-evaluation.js';
import { simulatedEvent } from './rule-simulation.js';

const progressOnActivation = z.union([
  z.object({ kept: z.literal(true), since: z.number().int() }),
  z.object({ kept: z.literal(false), startsAt: z.literal('activation') }),
]);

const listRoute = createRoute({
  method: 'get',
  path: '/v1/admin/rules',
  operationId: 'listRules',
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
                    budget: z
                      .object({
                        unlocksSpent: z.number().int(),
                        pointsSpent: z.number().int(),
                        closedAt: z.string().nullable(),
                      })
                      .nullable(),
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
  operationId: 'createRuleVersion',
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
    ...EVALUATION_RESPONSES,
  },
});

const checkRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/check',
  operationId: 'checkRuleDraft',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary: 'Checks a draft as its next version would be checked, and runs its examples; stores nothing',
  request: { body: { required: true, content: { 'application/json': { schema: ruleDocument } } } },
  responses: {
    200: {
      description:
        'Whether the draft would be accepted, each problem by JSON pointer, and each example with its trace',
      content: {
        'application/json': {
          schema: z.object({
            ok: z.boolean(),
            version: z.number().int(),
            problems: z.array(z.object({ pointer: z.string(), detail: z.string() })),
            examples: z.array(
              z.object({ name: z.string(), passed: z.boolean(), trace: z.array(simulatedEvent) }),
            ),
          }),
        },
      },
    },
    ...refusals,
    ...EVALUATION_RESPONSES,
  },
});

const versionParams = z.object({
  ruleId: slug(),
  version: z.coerce.number().int().positive().max(2_147_483_647),
});

const activateRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/{ruleId}/versions/{version}/activate',
  operationId: 'activateRuleVersion',
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
              policy: backfillPolicy.optional(),
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
            backfill: z
              .object({ replayId: z.string(), workflowId: z.string() })
              .optional()
              .openapi({ description: 'The backfill started with it: its workflow in the Temporal UI' }),
          }),
        },
      },
    },
    404: problemResponse('No such rule version'),
    409: problemResponse('A backfill of this version is still running'),
    ...refusals,
  },
});

const deactivateRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/{ruleId}/deactivate',
  operationId: 'deactivateRule',
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

/** Rule versions (CONTRACT §6): support reads them, admins create, activate (and backfill) and deactivate. */
export function ruleRoutes(store: RuleAdminStore, replays: ReplayDependencies) {
  const app = createRouter<AuthEnv>();
  app.openapi(listRoute, async (c) => c.json({ rules: await store.list() }, 200));
  app.openapi(checkRoute, async (c) => {
    try {
      return c.json(await store.check(c.req.valid('json')), 200);
    } catch (error) {
      return evaluationRefused(c, error, '/examples');
    }
  });
  app.openapi(createRuleRoute, async (c) => {
    try {
      const created = await store.create(c.req.valid('json'), actorOf(c));
      if (!created.ok) return invalid(c, created.problems);
      return c.json({ ruleId: created.ruleId, version: created.version }, 201);
    } catch (error) {
      return evaluationRefused(c, error, '/examples');
    }
  });
  app.openapi(activateRoute, async (c) => {
    const { ruleId, version } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const backfill = await backfillRequest(body, replays.starter);
    if ('problems' in backfill) return invalid(c, backfill.problems);
    let activation = await store.activate(ruleId, version, actorOf(c), backfill.request);
    // A row says running, but Temporal says its run ended (terminated, not cancelled): close it and go on.
    if (
      activation.outcome === 'backfill-running' &&
      !(await replays.starter.isRunning(activation.workflowId))
    ) {
      await replays.store.closeEnded(activation.workflowId);
      activation = await store.activate(ruleId, version, actorOf(c), backfill.request);
    }
    switch (activation.outcome) {
      case 'no-such-version':
        return problem(c, {
          title: 'Not Found',
          status: 404,
          detail: `Rule ${ruleId} has no version ${version}; see GET /v1/admin/rules.`,
        });
      case 'keeps-progress':
        return invalid(c, [
          {
            pointer: '/backfillFrom',
            detail: `v${version} keeps the progress counted live since v${activation.since} went live; a backfill replays a version that measures something new`,
          },
        ]);
      case 'backfill-running':
        return backfillRunning(c, activation.workflowId);
    }
    if (activation.backfill) {
      const { replayId, workflowId } = activation.backfill;
      const started = await replays.starter
        .start('backfill', replayId, workflowId)
        .catch(async (error: unknown) => {
          await replays.store.markFailed(replayId, `the workflow did not start: ${String(error)}`);
          return undefined;
        });
      if (started === undefined)
        return problem(c, {
          title: 'Service Unavailable',
          status: 503,
          detail: `Rule ${ruleId} v${version} is active, but Temporal did not start its backfill; send the same request again.`,
        });
      if (!started) {
        await replays.store.markFailed(replayId, 'a run of its workflow was still going');
        return backfillRunning(c, workflowId);
      }
    }
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
  return app;
}
