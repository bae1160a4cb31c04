import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Catalog } from '../rules/catalog.js';
import { withBudget } from '../rules/budget-view.js';
import { achievementsShown, viewOf } from '../rules/progress-view.js';
import { viewStableUntil } from '../rules/view-stability.js';
import { requireRole, type AuthEnv } from './auth.js';
import type { ClientAchievements, ClientReads } from './client-reads.js';
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

/**
 * What the app was last answered for a client in a language: kept while the client's read (the cache's own object,
 * replaced when PostgreSQL announces a change), the catalogs and the closed budgets are those it was made from,
 * and until its view may change with time (`viewStableUntil`). Most requests then send these bytes as they are.
 */
interface KeptAnswer {
  read: ClientAchievements;
  live: Catalog;
  everLive: Catalog;
  closed: string;
  untilMs: number;
  body: string;
  etag: string;
}

export interface MeDependencies {
  /** The rules live now, and every rule ever live (earned unlocks stay visible), as current as the book. */
  catalogs: () => { live: Catalog; everLive: Catalog };
  /** When each closed budget closed, by rule id (api/budgets.ts); none when no rule has a budget. */
  budgetsClosed?: () => Promise<ReadonlyMap<string, string>>;
  zone: string;
  reads: ClientReads;
  nowMs?: () => number;
  /** Answers kept at most, one per client and language: past it the one made longest ago goes. */
  keptAnswers?: number;
}

const NONE_CLOSED: ReadonlyMap<string, string> = new Map();

/** The mobile app's routes: a client reaches only their own data, named by the token, never by the path. */
export function meRoutes(deps: MeDependencies) {
  const now = deps.nowMs ?? Date.now;
  const app = createRouter<AuthEnv>();
  app.use('/v1/me/*', requireRole('client'));
  const answers = new Map<string, KeptAnswer>();
  const keptAnswers = deps.keptAnswers ?? 20_000;
  /** The answer's bytes and ETag, made from what the client holds now. */
  const answerOf = (
    read: ClientAchievements,
    catalogs: { live: Catalog; everLive: Catalog },
    at: { locale: string; closed: ReadonlyMap<string, string>; nowMs: number },
  ) => {
    const { live, everLive } = catalogs;
    const { locale, closed, nowMs } = at;
    const shown = achievementsShown(live, everLive, read.progress, { segments: read.segments });
    const achievements = shown.map((achievement) => {
      const view = withBudget(
        viewOf(achievement, read.progress, nowMs, deps.zone),
        closed.get(achievement.rule.id) ?? null,
        read.refused ?? [],
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
    return { body, etag, untilMs: viewStableUntil(shown, read.progress, nowMs) };
  };
  app.openapi(achievementsRoute, async (c) => {
    const locale = pickLocale(c.req.header('Accept-Language'));
    const clientId = c.get('principal').sub;
    const read = await deps.reads.achievementsOf(clientId);
    const { live, everLive } = deps.catalogs();
    const closedAt = (await deps.budgetsClosed?.()) ?? NONE_CLOSED;
    const closed = closedAt.size === 0 ? '' : JSON.stringify([...closedAt]);
    const nowMs = now();
    const key = `${clientId}\u0000${locale}`;
    let kept = answers.get(key);
    if (
      !kept ||
      kept.read !== read ||
      kept.live !== live ||
      kept.everLive !== everLive ||
      kept.closed !== closed ||
      nowMs >= kept.untilMs
    ) {
      kept = {
        read,
        live,
        everLive,
        closed,
        ...answerOf(read, { live, everLive }, { locale, closed: closedAt, nowMs }),
      };
      answers.delete(key);
      if (answers.size >= keptAnswers) answers.delete(answers.keys().next().value!);
      answers.set(key, kept);
    }
    c.header('ETag', kept.etag);
    c.header('Content-Language', locale);
    c.header('Vary', 'Accept-Language, Authorization');
    c.header('Cache-Control', 'private, no-cache');
    if (c.req.header('If-None-Match') === kept.etag) return c.body(null, 304);
    c.header('Content-Type', 'application/json');
    return c.body(kept.body, 200);
  });
  app.openapi(loyaltyRoute, async (c) => c.json(await deps.reads.loyaltyOf(c.get('principal').sub), 200));
  return app;
}
