import { createRoute, z } from '@hono/zod-openapi';
import { identifier } from '../platform/text.js';
import { slug } from '../rules/rule-schema.js';
import type { AuthEnv } from './auth.js';
import { actorOf, forAdmins, refusals, security } from './operations.js';
import type { RuleAdminStore } from './rule-admin-store.js';
import { createRouter } from './router.js';

const MAX_SEGMENT_IMPORT = 100_000;

/** An id's longest length (in UTF-16 units, as `identifier()` counts it). */
const MAX_ID_UNITS = identifier().maxLength!;

/**
 * The largest body an import the contract allows can take, in bytes: the most ids, each at its longest with
 * every UTF-16 unit written as a `\uXXXX` escape, the longest form JSON has for any character (a standard
 * encoder writes ids that way: Python's json.dumps escapes all non-ASCII by default), in compact JSON with the
 * longer `replace` value: 77 100 031 bytes, which take the API about 200 MB while they are read and parsed.
 */
export const SEGMENT_IMPORT_MAX_BYTES =
  '{"clientIds":[],"replace":false}'.length +
  MAX_SEGMENT_IMPORT * ('""'.length + '\\uXXXX'.length * MAX_ID_UNITS) +
  (MAX_SEGMENT_IMPORT - 1) * ','.length;

const segmentRoute = createRoute({
  method: 'put',
  path: '/v1/admin/segments/{segmentId}/members',
  operationId: 'replaceSegmentMembers',
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
