import { createRoute, z } from '@hono/zod-openapi';
import type { AuthEnv } from './auth.js';
import { forOperations, invalid, refusals, security } from './operations.js';
import { createRouter } from './router.js';
import { bodyWithRule } from './rule-document.js';
import { EVALUATION_RESPONSES, evaluationRefused, ruleEvaluation } from './rule-evaluation.js';
import { simulationSchema } from './rule-evaluation-tasks.js';

const simulateBody = bodyWithRule(
  'Simulation',
  simulationSchema,
  'A draft rule, one client’s transactions and client events in arrival order (short form: kind defaults to purchase, currency to UAH, ids to example-1, example-2, …), and the client’s segments',
);

export const simulatedEvent = z.object({
  eventId: z.string(),
  time: z.string(),
  counted: z.boolean(),
  why: z.string(),
  measure: z.number(),
  unlocked: z.array(z.string()),
  nudged: z.array(z.number()),
});

const simulateRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/simulate',
  operationId: 'simulateRule',
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
    ...EVALUATION_RESPONSES,
  },
});

/** `POST /v1/admin/rules/simulate` (CONTRACT §6): one client's events through a draft rule, no side effects. */
export function ruleSimulationRoutes(zone: string) {
  return createRouter<AuthEnv>().openapi(simulateRoute, async (c) => {
    try {
      const simulated = await ruleEvaluation().run('simulateBody', { body: c.req.valid('json'), zone });
      if (!simulated.ok) return invalid(c, simulated.problems);
      const { events } = simulated;
      return c.json({ events, unlocked: events.flatMap((event) => event.unlocked) }, 200);
    } catch (error) {
      return evaluationRefused(c, error, '/events');
    }
  });
}
