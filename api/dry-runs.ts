import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { AuthEnv } from './auth.js';
import type { ReplayDependencies } from './backfill-request.js';
import { actorOf, forAdmins, forOperations, invalid, refusals, security } from './operations.js';
import { problem, problemResponse } from './problem.js';
import { createRouter } from './router.js';
import { bodyWithRule } from './rule-document.js';
import { EVALUATION_RESPONSES, evaluationRefused, ruleEvaluation } from './rule-evaluation.js';
import { dryRunSchema } from './rule-evaluation-tasks.js';

const dryRunBody = bodyWithRule(
  'DryRunRequest',
  dryRunSchema,
  'A draft rule (its examples are not run) and the time to replay history from',
);

const startRoute = createRoute({
  method: 'post',
  path: '/v1/admin/dry-runs',
  operationId: 'startDryRun',
  tags: ['rules'],
  security,
  middleware: forAdmins,
  summary: 'Computes a rule over history from a time, with no side effect: clients per level and points',
  request: { body: { required: true, content: { 'application/json': { schema: dryRunBody } } } },
  responses: {
    202: {
      description: 'Started: read its result at /v1/admin/dry-runs/{dryRunId}',
      content: { 'application/json': { schema: z.object({ dryRunId: z.string(), workflowId: z.string() }) } },
    },
    ...refusals,
    ...EVALUATION_RESPONSES,
  },
});

const dryRunView = z.object({
  dryRunId: z.string(),
  ruleId: z.string(),
  from: z.string(),
  status: z.enum(['running', 'done', 'cancelled', 'failed']),
  requestedAt: z.string(),
  finishedAt: z.string().nullable(),
  eventsReplayed: z.number().int(),
  eventsTotal: z.number().int(),
  partitions: z.number().int(),
  partitionsDone: z.number().int(),
  clients: z.record(z.string(), z.number().int()),
  points: z.number().int(),
  budget: z
    .object({
      unlocksLeft: z.number().int().nullable(),
      pointsLeft: z.number().int().nullable(),
      wouldClose: z.boolean(),
    })
    .nullable(),
  error: z.string().nullable(),
});

const readRoute = createRoute({
  method: 'get',
  path: '/v1/admin/dry-runs/{dryRunId}',
  operationId: 'getDryRun',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary:
    'A dry run: its status and progress, and (of the partitions done) clients per achievement and points',
  request: { params: z.object({ dryRunId: z.uuid() }) },
  responses: {
    200: { description: 'The dry run', content: { 'application/json': { schema: dryRunView } } },
    404: problemResponse('No such dry run'),
    ...refusals,
  },
});

const backfillRoute = createRoute({
  method: 'get',
  path: '/v1/admin/backfills/{backfillId}',
  operationId: 'getBackfill',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary: 'A backfill started with an activation: its phase, how far its replay is, and its result',
  request: { params: z.object({ backfillId: z.uuid() }) },
  responses: {
    200: {
      description: 'The backfill (its workflow, in the Temporal UI, is `workflowId`)',
      content: {
        'application/json': {
          schema: z.object({
            backfillId: z.string(),
            ruleId: z.string(),
            version: z.number().int(),
            workflowId: z.string(),
            from: z.string(),
            status: z.enum(['running', 'done', 'cancelled', 'failed']),
            phase: z.string(),
            requestedAt: z.string(),
            finishedAt: z.string().nullable(),
            eventsReplayed: z.number().int(),
            partitions: z.number().int(),
            partitionsCaughtUp: z.number().int(),
            pointsSpent: z.number().int(),
            result: z.record(z.string(), z.unknown()).nullable(),
            error: z.string().nullable(),
          }),
        },
      },
    },
    404: problemResponse('No such backfill'),
    ...refusals,
  },
});

/** `POST /v1/admin/dry-runs` and `GET …/{dryRunId}` (CONTRACT §6): a rule over history, nothing written. */
export function dryRunRoutes(replays: ReplayDependencies) {
  const app = createRouter<AuthEnv>();
  app.openapi(startRoute, async (c) => {
    // A rule document of up to 1 MiB takes about 100 ms to check: off the event loop, as a simulation.
    const body = await ruleEvaluation()
      .run('dryRunBody', { body: c.req.valid('json') })
      .catch((error: unknown) => ({ refused: error }));
    if ('refused' in body) return evaluationRefused(c, body.refused, '/rule');
    if (!body.ok) return invalid(c, body.problems);
    const fromMs = Date.parse(body.from);
    if (fromMs > Date.now())
      return invalid(c, [{ pointer: '/from', detail: 'is in the future; a dry run replays history' }]);
    const gap = await replays.starter.historyGap(fromMs);
    if (gap) return invalid(c, [{ pointer: '/from', detail: gap }]);
    const replayId = randomUUID();
    const request = { replayId, document: body.document, fromMs, topics: replays.starter.topics };
    const workflowId = await replays.store.createDryRun(request, actorOf(c));
    const started = await replays.starter.start('dry-run', replayId, workflowId).catch(() => undefined);
    if (!started) {
      await replays.store.markFailed(replayId, 'its workflow did not start');
      return problem(c, {
        title: 'Service Unavailable',
        status: 503,
        detail: 'Temporal did not start the dry run; send the same request again.',
      });
    }
    return c.json({ dryRunId: replayId, workflowId }, 202);
  });
  app.openapi(readRoute, async (c) => {
    const { dryRunId } = c.req.valid('param');
    const view = await replays.store.dryRun(dryRunId);
    if (!view)
      return problem(c, {
        title: 'Not Found',
        status: 404,
        detail: `No dry run ${dryRunId}; start one with POST.`,
      });
    return c.json(view, 200);
  });
  app.openapi(backfillRoute, async (c) => {
    const { backfillId } = c.req.valid('param');
    const view = await replays.store.backfill(backfillId);
    if (!view)
      return problem(c, {
        title: 'Not Found',
        status: 404,
        detail: `No backfill ${backfillId}; activating a version with backfillFrom starts one.`,
      });
    return c.json(view, 200);
  });
  return app;
}
