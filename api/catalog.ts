import { createRoute, z } from '@hono/zod-openapi';
import type { Catalog } from '../rules/catalog.js';
import { localized, pickLocale } from './locale.js';
import { EDGE_RESPONSES } from './problem.js';
import { createRouter } from './router.js';
import { budgetedAvailability } from '../rules/budget-view.js';
import { availabilityOf } from '../rules/progress-view.js';
import { achievementTexts, availability } from './schemas.js';

const catalogBody = z
  .object({
    achievements: z.array(
      achievementTexts.extend({
        target: z.number(),
        points: z.number().int(),
        partnerId: z.string().nullable(),
        availability,
      }),
    ),
  })
  .openapi('Catalog');

const route = createRoute({
  method: 'get',
  path: '/v1/catalog',
  operationId: 'getCatalog',
  // Open to anyone: no sign-in.
  security: [],
  tags: ['mobile'],
  summary: 'The achievements with localized texts, targets and points (no sign-in needed)',
  responses: {
    200: { description: 'The catalog', content: { 'application/json': { schema: catalogBody } } },
    ...EDGE_RESPONSES,
  },
});

const NONE_CLOSED: ReadonlyMap<string, string> = new Map();

/**
 * The public catalog: achievements of live rules that are for everyone (targeted ones show only to their
 * audience), each rule's budget closure counted in its availability.
 */
export function catalogRoutes(
  catalog: () => Catalog,
  nowMs: () => number = Date.now,
  budgetsClosed: () => Promise<ReadonlyMap<string, string>> = () => Promise.resolve(NONE_CLOSED),
) {
  return createRouter().openapi(route, async (c) => {
    const locale = pickLocale(c.req.header('Accept-Language'));
    c.header('Content-Language', locale);
    c.header('Vary', 'Accept-Language');
    const closed = await budgetsClosed();
    const forEveryone = [...catalog().achievements.values()].filter(({ rule }) => !rule.audience);
    const achievements = forEveryone.map(({ rule, level }) => ({
      id: level.achievementId,
      title: localized(level.title, locale),
      description: localized(level.description, locale),
      target: level.target,
      points: level.points,
      partnerId: level.partner ?? null,
      availability: budgetedAvailability(availabilityOf(rule, nowMs()), closed.get(rule.id) ?? null),
    }));
    return c.json({ achievements }, 200);
  });
}
