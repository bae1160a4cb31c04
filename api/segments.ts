import { createRoute, z } from '@hono/zod-openapi';
import { identifier } from '../platform/text.js';
import { slug } from '../rules/rule-schema.js';
import type { AuthEnv } from './auth.js';
import { actorOf, forAdmins, refusals, security } from './operations.js';
import type { RuleAdminStore } from './rule-admin-store.js';
import { createRouter } from './router.js';

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

/** `PUT /v1/admin/segments/{segmentId}/members` (CONTRACT §6): operations import a targeting segment. */
export function segmentRoutes(store: Pick<RuleAdminStore, 'importSegment'>) {
  return createRouter<AuthEnv>().openapi(segmentRoute, async (c) => {
    const { segmentId } = c.req.valid('param');
    const { clientIds, replace } = c.req.valid('json');
    const imported = await store.importSegment(segmentId, [...new Set(clientIds)], replace, actorOf(c));
    return c.json({ segmentId, ...imported }, 202);
  });
}
