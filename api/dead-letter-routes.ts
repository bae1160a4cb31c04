import { createRoute, z } from '@hono/zod-openapi';
import { plainText } from '../platform/text.js';
import type { AdminReads } from './admin-reads.js';
import type { AuthEnv } from './auth.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import { actorOf, forAdmins, forOperations, refusals, security } from './operations.js';
import { problem, problemResponse } from './problem.js';
import { createRouter } from './router.js';

const reason = plainText(500).min(3, 'say why (a ticket, the fix): it is written to the audit log');
const DAY_MS = 86_400_000;

const listing = z.object({
  id: z.number().int(),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  reason: z.string(),
  error: z.string(),
  deadAt: z.string(),
  redrivable: z.boolean(),
  redrive: z
    .object({
      status: z.enum(['asked', 'accepted', 'refused']),
      askedAt: z.string().nullable(),
      askedBy: z.string().nullable(),
      refusal: z.string().nullable(),
    })
    .nullable(),
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/admin/dead-letters',
  operationId: 'listDeadLetters',
  tags: ['operations'],
  security,
  middleware: forOperations,
  summary: 'Records the engine set aside: counts by reason and source, per day, and the newest ones',
  request: {
    query: z.object({
      reason: z.string().max(32).optional(),
      topic: z.string().max(249).optional(),
      days: z.coerce.number().int().min(1).max(366).default(30),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: {
      description: 'The dead letters of the last `days` days',
      content: {
        'application/json': {
          schema: z.object({
            byReason: z.array(z.object({ reason: z.string(), topic: z.string(), count: z.number().int() })),
            perDay: z.array(z.object({ day: z.string(), count: z.number().int() })),
            letters: z.array(listing),
          }),
        },
      },
    },
    ...refusals,
  },
});

const oneRoute = createRoute({
  method: 'get',
  path: '/v1/admin/dead-letters/{id}',
  operationId: 'getDeadLetter',
  tags: ['operations'],
  security,
  middleware: forOperations,
  summary: 'One dead letter with its original key, value and headers (audited: it may hold client data)',
  request: {
    params: z.object({ id: z.coerce.number().int().min(1) }),
    query: z.object({ reason }),
  },
  responses: {
    200: {
      description: 'The dead letter and its DLQ record',
      content: { 'application/json': { schema: listing.extend({ record: z.unknown() }) } },
    },
    404: problemResponse('No such dead letter'),
    ...refusals,
  },
});

const redriveRoute = createRoute({
  method: 'post',
  path: '/v1/admin/dead-letters/redrive',
  operationId: 'redriveDeadLetters',
  tags: ['operations'],
  security,
  middleware: forAdmins,
  summary:
    'Sends chosen dead letters back through achievements.redrive.v1 after a fix; each original counts at most once',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ ids: z.array(z.number().int().min(1)).min(1).max(500), reason }).strict(),
        },
      },
    },
  },
  responses: {
    202: {
      description: 'Sent; the engine answers on each dead letter (accepted, or refused again and why)',
      content: {
        'application/json': {
          schema: z.object({
            redriven: z.array(z.number().int()),
            refused: z.array(z.object({ id: z.number().int(), why: z.string() })),
          }),
        },
      },
    },
    ...refusals,
  },
});

/** The DLQ for operations: support browses it, reading an original is audited, admins redrive. */
export function deadLetterRoutes(store: DeadLetterStore, admin: Pick<AdminReads, 'audit'>, nowMs = Date.now) {
  return createRouter<AuthEnv>()
    .openapi(listRoute, async (c) => {
      const { reason, topic, days, limit } = c.req.valid('query');
      const overview = await store.overview({
        ...(reason ? { reason } : {}),
        ...(topic ? { topic } : {}),
        sinceMs: nowMs() - days * DAY_MS,
        limit,
      });
      return c.json(overview, 200);
    })
    .openapi(oneRoute, async (c) => {
      const { id } = c.req.valid('param');
      await admin.audit({
        ...actorOf(c),
        action: 'dead-letter.read',
        target: String(id),
        reason: c.req.valid('query').reason,
      });
      const letter = await store.one(id);
      if (!letter)
        return problem(c, {
          title: 'Not Found',
          status: 404,
          detail: `No dead letter ${id}; see /v1/admin/dead-letters.`,
        });
      return c.json(letter, 200);
    })
    .openapi(redriveRoute, async (c) => {
      const { ids, reason: why } = c.req.valid('json');
      return c.json(await store.redrive([...new Set(ids)], actorOf(c), why), 202);
    });
}
