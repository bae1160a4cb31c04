import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ClientContext } from '../rules/audience.js';
import type { InputEvent } from '../rules/events.js';
import type { Catalog } from '../rules/catalog.js';
import { withBudget, type RefusedUnlock } from '../rules/budget-view.js';
import { explain, historySince, type Explanation } from '../rules/explain.js';
import { viewOf } from '../rules/progress-view.js';
import type { ClientProgress } from '../rules/progress.js';
import { identifier, plainText } from '../platform/text.js';
import type { AdminReads } from './admin-reads.js';
import { requireRole, type AuthEnv } from './auth.js';
import { actorOf } from './operations.js';
import { GUARDED_RESPONSES, problem, problemResponse } from './problem.js';
import { rateLimitPerCaller, type ApiLimits } from './rate-limit.js';
import { createRouter } from './router.js';

const security = [{ bearer: [] }];
const refusals = {
  ...GUARDED_RESPONSES,
  400: problemResponse('A parameter is not valid; the detail names it'),
  403: problemResponse('The token’s role may not read this'),
};
const achievementId = identifier(64);
/** Why an employee reads a client's data: written to the audit log as given. */
const reason = plainText(500);

const unlocksPerDay = z
  .array(z.object({ day: z.string(), unlocks: z.number().int() }))
  .openapi({ description: 'Unlocks per calendar day (bank time zone) of the last 30 days, oldest first' });

const overviewRoute = createRoute({
  method: 'get',
  path: '/v1/admin/achievements',
  operationId: 'listAchievementsForOperations',
  tags: ['operations'],
  security,
  summary: 'Every achievement with how many clients hold it and its unlocks per day',
  responses: {
    200: {
      description: 'The achievements of every rule ever live',
      content: {
        'application/json': {
          schema: z.object({
            achievements: z.array(
              z.object({ achievementId: z.string(), unlocked: z.number().int(), unlocksPerDay }),
            ),
          }),
        },
      },
    },
    ...refusals,
  },
});

const statsRoute = createRoute({
  method: 'get',
  path: '/v1/admin/achievements/{id}/stats',
  operationId: 'getAchievementStats',
  tags: ['operations'],
  security,
  summary: 'How many clients hold an achievement, and how far the others are (audited)',
  request: {
    params: z.object({ id: achievementId }),
    query: z.object({ reason: reason.optional() }),
  },
  responses: {
    200: {
      description: 'The achievement’s statistics',
      content: {
        'application/json': {
          schema: z.object({
            achievementId: z.string(),
            unlocked: z.number().int(),
            unlocksPerDay,
            progress: z.array(z.object({ from: z.number(), to: z.number(), clients: z.number().int() })),
          }),
        },
      },
    },
    404: problemResponse('No such achievement'),
    ...refusals,
  },
});

const auditRoute = createRoute({
  method: 'get',
  path: '/v1/admin/audit',
  operationId: 'listAuditEntries',
  tags: ['operations'],
  security,
  summary:
    'The newest audit entries, filtered by who, what and when: who read or changed what, and why (admins only; audited)',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      actor: identifier().optional().openapi({ description: 'Only this employee’s entries' }),
      action: plainText(64).optional().openapi({ description: 'An action, or its start (`rule.`)' }),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: {
    200: {
      description: 'Audit entries, newest first',
      content: {
        'application/json': {
          schema: z.object({
            entries: z.array(
              z.object({
                at: z.string(),
                actorId: z.string(),
                actorRole: z.string(),
                action: z.string(),
                target: z.string(),
                reason: z.string().nullable(),
                approvedBy: z
                  .string()
                  .nullable()
                  .openapi({ description: 'The second admin who approved what actorId proposed' }),
                proposalId: z.string().nullable().openapi({
                  description: 'The proposal an approved action ran for (/v1/admin/proposals/{id})',
                }),
              }),
            ),
          }),
        },
      },
    },
    ...refusals,
  },
});

const explainRoute = createRoute({
  method: 'get',
  path: '/v1/admin/clients/{clientId}/achievements/{id}/explain',
  operationId: 'explainClientAchievement',
  tags: ['operations'],
  security,
  summary:
    "A client's state for one achievement, its window, and why each of their events did or did not count (audited)",
  request: {
    params: z.object({ clientId: identifier(), id: achievementId }),
    query: z.object({
      reason: reason.min(3, 'say why you read this client’s data (it is audited)'),
    }),
  },
  responses: {
    200: {
      description: 'The explanation',
      content: {
        'application/json': {
          schema: z.object({
            clientId: z.string(),
            achievementId: z.string(),
            state: z.object({
              unlocked: z.boolean(),
              unlockedAt: z.string().nullable(),
              /** How often it was earned: 0 or 1, or any number for one that repeats. */
              timesEarned: z.number().int(),
              progress: z.object({ current: z.number(), target: z.number() }),
            }),
            rule: z.object({
              measure: z.record(z.string(), z.unknown()),
              window: z.record(z.string(), z.unknown()),
              timeZone: z.string(),
            }),
            events: z.array(
              z.object({ id: z.string(), time: z.string(), counted: z.boolean(), why: z.string() }),
            ),
            eventsBeforeErasure: z.number().int().openapi({
              description:
                'How many of the client’s records are dated before their erasure: left out of `events`, unnamed',
            }),
          }),
        },
      },
    },
    404: problemResponse('No such achievement'),
    ...refusals,
  },
});

/**
 * An explanation with the budget's word on the unlock it refused: the event reached the target after the rule
 * closed, so nothing was granted.
 */
function budgetExplained(
  explained: Explanation,
  achievementId: string,
  refused: RefusedUnlock[],
): Explanation {
  const refusal = refused.find(
    (unlock) => unlock.achievementId === achievementId && unlock.occurrence === '',
  );
  if (!refusal) return explained;
  return {
    ...explained,
    events: explained.events.map((event) =>
      event.why.startsWith('counted, and unlocked the achievement')
        ? {
            ...event,
            why: `counted, and reached the target after the rule's budget had closed: nothing was granted (refused at ${refusal.refusedAt})`,
          }
        : event,
    ),
  };
}

/** Where an explanation's facts come from: the stored progress and the client's events in Kafka. */
export interface ExplainSources {
  progressOf: (clientId: string) => Promise<ClientProgress>;
  /** The unlocks a rule's budget refused the client (they reached them after it closed). */
  refusedOf?: (clientId: string) => Promise<RefusedUnlock[]>;
  /** The client's segments and erasure: events dated before an erasure explain nothing. */
  contextOf: (clientId: string) => Promise<ClientContext>;
  /** The client's records written to Kafka since `sinceMs` (all retained ones when undefined). */
  historyOf: (clientId: string, sinceMs: number | undefined) => Promise<InputEvent[]>;
  zone: string;
  nowMs?: () => number;
}

/**
 * Operations' reads. Every one is written to the append-only audit log before it is answered, and each
 * employee is limited, explain (which reads Kafka) the most.
 */
export function adminRoutes(
  catalog: () => Catalog,
  reads: AdminReads,
  sources: ExplainSources,
  limits: Pick<ApiLimits, 'operations' | 'explain'>,
) {
  const unknownAchievement = (c: Context, id: string) =>
    problem(c, { title: 'Not Found', status: 404, detail: `No achievement ${id}; see /v1/catalog.` });
  const audited = (c: Context<AuthEnv>, action: string, target: string, reason: string | null) => {
    return reads.audit({ ...actorOf(c), action, target, reason });
  };
  const app = createRouter<AuthEnv>();
  app.use('/v1/admin/*', rateLimitPerCaller(limits.operations));
  app.use('/v1/admin/clients/*', rateLimitPerCaller(limits.explain));
  app.use('/v1/admin/achievements', requireRole('support', 'admin'));
  app.use('/v1/admin/achievements/*', requireRole('support', 'admin'));
  app.use('/v1/admin/clients/*', requireRole('support', 'admin'));
  app.use('/v1/admin/audit', requireRole('admin'));
  app.openapi(overviewRoute, async (c) => c.json({ achievements: await reads.overview() }, 200));
  app.openapi(statsRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!catalog().achievements.has(id)) return unknownAchievement(c, id);
    await audited(c, 'achievement.stats', id, c.req.valid('query').reason ?? null);
    return c.json(await reads.statsOf(id), 200);
  });
  app.openapi(explainRoute, async (c) => {
    const { clientId, id } = c.req.valid('param');
    const rules = catalog();
    const achievement = rules.achievements.get(id);
    if (!achievement) return unknownAchievement(c, id);
    await audited(c, 'achievement.explain', `${clientId}/${id}`, c.req.valid('query').reason);
    const nowMs = (sources.nowMs ?? Date.now)();
    const [progress, context, refused] = await Promise.all([
      sources.progressOf(clientId),
      sources.contextOf(clientId),
      sources.refusedOf?.(clientId) ?? [],
    ]);
    // Only the records the achievement's window can hold are read, not the client's whole partition.
    const history = await sources.historyOf(clientId, historySince(achievement, progress, nowMs));
    const view = viewOf(achievement, progress, nowMs, sources.zone);
    // An unlock the budget refused is not the client's, though they reached the target.
    const { unlocked, unlockedAt, timesEarned } = withBudget(view, null, refused);
    const reached = view.progress;
    const explained = explain(id, rules, history, sources.zone, context);
    const { events, eventsBeforeErasure } = budgetExplained(explained, id, refused);
    return c.json(
      {
        clientId,
        achievementId: id,
        state: { unlocked, unlockedAt, timesEarned, progress: reached },
        rule: {
          measure: { ...achievement.rule.measure },
          window: { ...achievement.rule.window },
          timeZone: sources.zone,
        },
        events,
        eventsBeforeErasure,
      },
      200,
    );
  });
  app.openapi(auditRoute, async (c) => {
    const { limit, actor, action, from, to } = c.req.valid('query');
    const filter = Object.entries({ actor, action, from, to })
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name}=${value}`);
    await audited(c, 'audit.read', [`latest ${limit}`, ...filter].join(' '), null);
    const entries = await reads.auditLog({
      limit,
      ...(actor ? { actorId: actor } : {}),
      ...(action ? { action } : {}),
      ...(from ? { fromMs: Date.parse(from) } : {}),
      ...(to ? { toMs: Date.parse(to) } : {}),
    });
    return c.json({ entries }, 200);
  });
  return app;
}
