import { createRoute, z } from '@hono/zod-openapi';
import { eventsOfOneClient, ruleSchema, slug } from '../rules/rule-schema.js';
import { problemsOf } from '../rules/rule-validation.js';
import { simulate } from '../rules/simulate.js';
import type { AuthEnv } from './auth.js';
import { forOperations, invalid, refusals, security } from './operations.js';
import { createRouter } from './router.js';

const simulateBody = z.looseObject({}).openapi('Simulation', {
  description:
    '{ "rule": a rule document, "events": one client’s transactions and client events in arrival order (at most 1000), "segments"?: the client’s segments }',
});

export const simulatedEvent = z.object({
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
      description: 'The trace: per event, and every unlock in order',
      content: {
        'application/json': {
          schema: z.object({ events: z.array(simulatedEvent), unlocked: z.array(z.string()) }),
        },
      },
    },
    ...refusals,
  },
});

const simulationSchema = z
  .object({
    rule: z.looseObject({}),
    events: eventsOfOneClient(1000),
    segments: z.array(slug()).max(100).default([]),
  })
  .strict();

/** `POST /v1/admin/rules/simulate` (CONTRACT §6): one client's events through a draft rule, no side effects. */
export function ruleSimulationRoutes(zone: string) {
  return createRouter<AuthEnv>().openapi(simulateRoute, (c) => {
    const body = simulationSchema.safeParse(c.req.valid('json'));
    if (!body.success) return invalid(c, problemsOf(body.error));
    // A draft has no version yet: the engine numbers it when it is created.
    const rule = ruleSchema.safeParse({ version: 1, ...body.data.rule });
    if (!rule.success) return invalid(c, problemsOf(rule.error, ['rule']));
    const events = simulate(rule.data, body.data.events, zone, body.data.segments);
    return c.json({ events, unlocked: events.flatMap((event) => event.unlocked) }, 200);
  });
}
