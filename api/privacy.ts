import { createRoute, z } from '@hono/zod-openapi';
import type pg from 'pg';
import { identifier, plainText } from '../platform/text.js';
import type { Catalog } from '../rules/catalog.js';
import type { AdminReads } from './admin-reads.js';
import type { AuthEnv } from './auth.js';
import { exportClient } from './client-export.js';
import type { ClientErasure } from './client-erasure.js';
import { actorOf, forAdmins, refusals, security } from './operations.js';
import { createRouter } from './router.js';

/** Why an admin exports or erases a client's data: required, and written to the audit log as given. */
const reason = plainText(500).min(3, 'say why (a request reference): it is written to the audit log');
const rows = z.array(z.record(z.string(), z.unknown()));

const exportRoute = createRoute({
  method: 'get',
  path: '/v1/admin/clients/{clientId}/export',
  operationId: 'exportClient',
  tags: ['privacy'],
  security,
  middleware: forAdmins,
  summary: 'Everything the engine holds about a client, as JSON (CONTRACT §7; admins only, audited)',
  request: { params: z.object({ clientId: identifier() }), query: z.object({ reason }) },
  responses: {
    200: {
      description:
        'The client’s data: progress, unlocks, ledger, rewards, segments, audit entries about them',
      content: {
        'application/json': {
          schema: z.object({
            clientId: z.string(),
            exportedAt: z.string(),
            erasedAt: z.string().nullable(),
            achievements: z.array(
              z.object({
                achievementId: z.string(),
                unlocked: z.boolean(),
                unlockedAt: z.string().nullable(),
                progress: z.object({ current: z.number(), target: z.number() }),
              }),
            ),
            progress: z
              .object({ version: z.number().int(), state: z.record(z.string(), z.unknown()) })
              .nullable(),
            unlocks: rows,
            ledger: rows,
            balance: z.number().int(),
            tier: z.object({ tier: z.string(), earned12m: z.number(), updatedAt: z.string() }).nullable(),
            tierChanges: rows,
            rewards: rows,
            segments: z.array(z.object({ segmentId: z.string(), addedAt: z.string() })),
            deadLetters: rows,
            audit: rows,
          }),
        },
      },
    },
    ...refusals,
  },
});

const eraseRoute = createRoute({
  method: 'delete',
  path: '/v1/admin/clients/{clientId}',
  operationId: 'eraseClient',
  tags: ['privacy'],
  security,
  middleware: forAdmins,
  summary:
    'Erases a client: progress, unlocks, rewards and attributes deleted, the ledger pseudonymized (CONTRACT §7; admins only, audited)',
  request: { params: z.object({ clientId: identifier() }), query: z.object({ reason }) },
  responses: {
    202: {
      description:
        'Erased. Events dated before `erasedAt` never count again, however they are delivered or replayed.',
      content: {
        'application/json': {
          schema: z.object({
            clientId: z.string(),
            erasedAt: z.string(),
            removed: z.object({
              progress: z.number().int(),
              unlocks: z.number().int(),
              rewards: z.number().int(),
              segments: z.number().int(),
              deadLetters: z.number().int(),
            }),
            ledgerEntriesPseudonymized: z.number().int(),
            workflowsDeleted: z.number().int(),
          }),
        },
      },
    },
    ...refusals,
  },
});

export interface PrivacyDependencies {
  db: pg.Pool;
  erasure: ClientErasure;
  audit: AdminReads['audit'];
  /** Every rule ever live, whose achievements an export names. */
  catalog: () => Catalog;
  zone: string;
}

/** CONTRACT §7: a client's data exported, or erased, by an admin giving a reason; both audited. */
export function privacyRoutes(deps: PrivacyDependencies) {
  return createRouter<AuthEnv>()
    .openapi(exportRoute, async (c) => {
      const { clientId } = c.req.valid('param');
      await deps.audit({
        ...actorOf(c),
        action: 'client.export',
        target: clientId,
        reason: c.req.valid('query').reason,
      });
      return c.json(await exportClient(deps.db, clientId, deps.catalog(), deps.zone, Date.now()), 200);
    })
    .openapi(eraseRoute, async (c) => {
      const { clientId } = c.req.valid('param');
      const erased = await deps.erasure.erase(clientId, {
        ...actorOf(c),
        action: 'client.erase',
        reason: c.req.valid('query').reason,
      });
      return c.json(erased, 202);
    });
}
