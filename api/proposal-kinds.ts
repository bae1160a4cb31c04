import { z } from '@hono/zod-openapi';
import { identifier } from '../platform/text.js';
import { slug } from '../rules/rule-schema.js';
import { backfillPolicy } from './backfill-request.js';

/** The request an approved proposal runs, through the API's own route for it. */
export interface ActionRequest {
  method: 'POST' | 'DELETE';
  path: string;
  body?: unknown;
}

const version = z.number().int().positive().max(2_147_483_647);
const ids = z.array(z.number().int().min(1)).min(1).max(500);

/** What each kind of proposal names, checked when it is proposed. */
export const proposalActions = {
  'rule.activate': z
    .object({
      ruleId: slug(),
      version,
      backfillFrom: z.iso.datetime({ offset: true }).optional(),
      policy: backfillPolicy.optional(),
    })
    .strict(),
  'rule.deactivate': z.object({ ruleId: slug() }).strict(),
  'client.erase': z.object({ clientId: identifier() }).strict(),
  'dead-letters.redrive': z.object({ ids }).strict(),
};

export type ProposalKind = keyof typeof proposalActions;
export const PROPOSAL_KINDS = Object.keys(proposalActions) as ProposalKind[];
export type ProposalAction<K extends ProposalKind = ProposalKind> = z.output<(typeof proposalActions)[K]>;

const at = (path: string) => encodeURIComponent(path);

/**
 * Where each kind runs, as a route pattern (its guard sits there), and the request that runs one; the
 * proposal's reason is the reason the erasure and the redrive write to the audit log.
 */
export const actionRoutes: {
  [K in ProposalKind]: {
    method: ActionRequest['method'];
    route: string;
    request: (action: ProposalAction<K>, reason: string) => ActionRequest;
  };
} = {
  'rule.activate': {
    method: 'POST',
    route: '/v1/admin/rules/:ruleId/versions/:version/activate',
    request: ({ ruleId, version: v, backfillFrom, policy }) => ({
      method: 'POST',
      path: `/v1/admin/rules/${at(ruleId)}/versions/${v}/activate`,
      body: { ...(backfillFrom ? { backfillFrom } : {}), ...(policy ? { policy } : {}) },
    }),
  },
  'rule.deactivate': {
    method: 'POST',
    route: '/v1/admin/rules/:ruleId/deactivate',
    request: ({ ruleId }) => ({ method: 'POST', path: `/v1/admin/rules/${at(ruleId)}/deactivate` }),
  },
  'client.erase': {
    method: 'DELETE',
    route: '/v1/admin/clients/:clientId',
    request: ({ clientId }, reason) => ({
      method: 'DELETE',
      path: `/v1/admin/clients/${at(clientId)}?reason=${encodeURIComponent(reason)}`,
    }),
  },
  'dead-letters.redrive': {
    method: 'POST',
    route: '/v1/admin/dead-letters/redrive',
    request: ({ ids: chosen }, reason) => ({
      method: 'POST',
      path: '/v1/admin/dead-letters/redrive',
      body: { ids: chosen, reason },
    }),
  },
};

/** What a proposal acts on, as the audit log and the Approvals page name it. */
export function proposalTarget(kind: ProposalKind, action: ProposalAction): string {
  const fields = action as Record<string, unknown>;
  switch (kind) {
    case 'rule.activate':
      return `${String(fields.ruleId)}@v${String(fields.version)}`;
    case 'rule.deactivate':
      return String(fields.ruleId);
    case 'client.erase':
      return String(fields.clientId);
    case 'dead-letters.redrive':
      return (fields.ids as number[]).join(',');
  }
}
