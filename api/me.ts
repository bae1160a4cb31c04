import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Catalog } from '../rules/catalog.js';
import { withBudget } from '../rules/budget-view.js';
import { achievementsShown, viewOf } from '../rules/progress-view.js';
import { requireRole, type AuthEnv } from './auth.js';
import type { ClientReads } from './client-reads.js';
import { localized, pickLocale } from './locale.js';
import { GUARDED_RESPONSES, problemResponse } from './problem.js';
import { createRouter } from './router.js';
import { achievementTexts, availability } from './schemas.js';

const achievementsBody = z
  .object({
    achievements: z.array(
      achievementTexts.extend({
        unlocked: z.boolean(),
        unlockedAt: z.string().nullable(),
        progress: z.object({ current: z.number(), target: z.number() }).nullable().openapi({
          description: 'null for an achievement whose campaign ended before the client earned it',
        }),
        availability,
        timesEarned: z
          .number()
          .int()
          .openapi({ description: 'How often it was earned: 0 or 1, more if it repeats' }),
        repeats: z.enum(['week', 'month', 'quarter', 'year', 'target']).nullable().openapi({
          description: 'How it is earned again (each period, or each multiple of the target); null when once',
        }),
      }),
    ),
  })
  .openapi('MyAchievements');

const loyaltyBody = z
  .object({
    points: z.number().int(),
    tier: z.string(),
    rewards: z.array(
      z.object({
        rewardId: z.string(),
        achievementId: z.string(),
        points: z.number().int(),
        status: z.string(),
        partnerId: z.string().nullable(),
        voucherCode: z.string().nullable(),
      }),
    ),
  })
  .openapi('MyLoyalty');

const security = [{ bearer: [] }];

const achievementsRoute = createRoute({
  method: 'get',
  path: '/v1/me/achievements',
  operationId: 'getMyAchievements',
  tags: ['mobile'],
  security,
  summary: 'Every achievement with the caller’s progress, localized by Accept-Language (uk, en, he)',
  responses: {
    200: {
      description: 'The achievements; ETag set',
      content: { 'application/json': { schema: achievementsBody } },
    },
    304: { description: 'Unchanged since the If-None-Match ETag' },
    403: problemResponse('Not a client token'),
    ...GUARDED_RESPONSES,
  },
});

const loyaltyRoute = createRoute({
  method: 'get',
  path: '/v1/me/loyalty',
  operationId: 'getMyLoyalty',
  tags: ['mobile'],
  security,
  summary: 'The caller’s points, tier and rewards',
  responses: {
    200: { description: 'The loyalty account', content: { 'application/json': { schema: loyaltyBody } } },
    403: problemResponse('Not a client token'),
    ...GUARDED_RESPONSES,
  },
});

export interface MeDependencies {
  /** The rules live now, and every rule ever live (earned unlocks stay visible), as current as the book. */
  catalogs: () => { live: Catalog; everLive: Catalog };
  /** When each closed budget closed, by rule id (api/budgets.ts); none when no rule has a budget. */
  budgetsClosed?: () => Promise<ReadonlyMap<string, string>>;
  zone: string;
  reads: ClientReads;
  nowMs?: () => number;
}

const NONE_CLOSED: ReadonlyMap<string, string> = new Map();

/** The mobile app's routes: a client reaches only their own data, named by the token, never by the path. */
export function meRoutes(deps: MeDependencies) {
  const now = deps.nowMs ?? Date.now;
  const app = createRouter<AuthEnv>();
  app.use('/v1/me/*', requireRole('client'));
  app.openapi(achievementsRoute, async (c) => {
    const locale = pickLocale(c.req.header('Accept-Language'));
    const clientId = c.get('principal').sub;
    const { progress, segments, refused = [] } = await deps.reads.achievementsOf(clientId);
    const { live, everLive } = deps.catalogs();
    const closed = (await deps.budgetsClosed?.()) ?? NONE_CLOSED;
    const shown = achievementsShown(live, everLive, progress, { segments });
    const achievements = shown.map((achievement) => {
      const view = withBudget(
        viewOf(achievement, progress, now(), deps.zone),
        closed.get(achievement.rule.id) ?? null,
        refused,
      );
      return {
        title: localized(achievement.level.title, locale),
        description: localized(achievement.level.description, locale),
        ...view,
        // A campaign that ended or closed unearned shows no progress: the client can no longer make any.
        progress: view.availability.state !== 'open' && !view.unlocked ? null : view.progress,
      };
    });
    const body = JSON.stringify({ achievements });
    const etag = `"${createHash('sha256').update(`${locale}\u0000${body}`).digest('base64url').slice(0, 27)}"`;
    c.header('ETag', etag);
    c.header('Content-Language', locale);
    c.header('Vary', 'Accept-Language, Authorization');
    c.header('Cache-Control', 'private, no-cache');
    if (c.req.header('If-None-Match') === etag) return c.body(null, 304);
    c.header('Content-Type', 'application/json');
    return c.body(body, 200);
  });
  app.openapi(loyaltyRoute, async (c) => c.json(await deps.reads.loyaltyOf(c.get('principal').sub), 200));
  return app;
}
