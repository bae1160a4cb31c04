import { createRoute, z } from '@hono/zod-openapi';
import { plainText } from '../platform/text.js';
import { forAdmins, forOperations, refusals, security } from './operations.js';
import { problemResponse } from './problem.js';
import { PROPOSAL_KINDS, proposalActions, type ProposalKind } from './proposal-kinds.js';

/** The routes of `/v1/admin/proposals…` and `/v1/admin/approvals` as OpenAPI declares them (CONTRACT §6). */

const reason = plainText(500).min(3, 'say why (a ticket, a request): it is written to the audit log');

const proposeBody = z
  .discriminatedUnion(
    'kind',
    PROPOSAL_KINDS.map((kind) =>
      z.object({ kind: z.literal(kind), action: proposalActions[kind], reason }).strict(),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  )
  .openapi('ProposalRequest', {
    description:
      'rule.activate { ruleId, version, backfillFrom?, policy? }, rule.deactivate { ruleId }, client.erase { clientId } or dead-letters.redrive { ids }, with the reason the audit log keeps',
  });

const ruleVersion = z.object({ version: z.number().int(), document: z.unknown() }).nullable();

const proposalView = z
  .object({
    proposalId: z.string(),
    kind: z.enum(PROPOSAL_KINDS as [ProposalKind, ...ProposalKind[]]),
    action: z.record(z.string(), z.unknown()),
    target: z.string(),
    reason: z.string(),
    proposedBy: z.string(),
    proposedAt: z.string(),
    expiresAt: z.string(),
    state: z.enum(['open', 'expired', 'rejected', 'running', 'done', 'failed']),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    result: z.object({ status: z.number().int(), body: z.unknown() }).nullable(),
    dryRunId: z.string().nullable().openapi({ description: 'Read it at /v1/admin/dry-runs/{dryRunId}' }),
    rule: z
      .object({ ruleId: z.string(), live: ruleVersion, proposed: ruleVersion })
      .optional()
      .openapi({ description: 'A rule proposal: the live version and the one proposed, to compare' }),
  })
  .openapi('Proposal');

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParams = z.object({ proposalId: z.string().regex(/^\d{1,18}$/, 'a proposal id is a number') });

export const proposeRoute = createRoute({
  method: 'post',
  path: '/v1/admin/proposals',
  operationId: 'propose',
  tags: ['approvals'],
  security,
  middleware: forAdmins,
  summary: 'Proposes an action two admins decide: it runs only once another admin approves it',
  request: { body: { required: true, content: { 'application/json': { schema: proposeBody } } } },
  responses: {
    201: json(proposalView, 'Proposed'),
    404: problemResponse('No such rule version'),
    ...refusals,
  },
});

export const listRoute = createRoute({
  method: 'get',
  path: '/v1/admin/proposals',
  operationId: 'listProposals',
  tags: ['approvals'],
  security,
  middleware: forOperations,
  summary: 'Proposals, newest first: those waiting for a decision (undecided, not expired), or all',
  request: {
    query: z.object({
      state: z.enum(['undecided', 'all']).default('undecided'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: json(z.object({ proposals: z.array(proposalView) }), 'Proposals'), ...refusals },
});

export const oneRoute = createRoute({
  method: 'get',
  path: '/v1/admin/proposals/{proposalId}',
  operationId: 'getProposal',
  tags: ['approvals'],
  security,
  middleware: forOperations,
  summary: 'One proposal: what it would do, against what is live, and its decision',
  request: { params: idParams },
  responses: {
    200: json(proposalView, 'The proposal'),
    404: problemResponse('No such proposal'),
    ...refusals,
  },
});

export const decisionRoute = (decision: 'approve' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/v1/admin/proposals/{proposalId}/${decision}`,
    operationId: `${decision}Proposal`,
    tags: ['approvals'],
    security,
    middleware: forAdmins,
    summary:
      decision === 'approve'
        ? 'Approves another admin’s proposal and runs it; its result is the action’s own answer'
        : 'Rejects another admin’s proposal, saying why: it never runs',
    request: {
      params: idParams,
      body: {
        required: decision === 'reject',
        content: {
          'application/json': {
            schema: z.object({ reason: decision === 'reject' ? reason : reason.optional() }).strict(),
          },
        },
      },
    },
    responses: {
      200: json(proposalView, decision === 'approve' ? 'Approved, and run' : 'Rejected'),
      404: problemResponse('No such proposal'),
      409: problemResponse('Already decided, or expired'),
      ...refusals,
    },
  });

export const settingsRoute = createRoute({
  method: 'get',
  path: '/v1/admin/approvals',
  operationId: 'getApprovalSettings',
  tags: ['approvals'],
  security,
  middleware: forOperations,
  summary:
    'Whether activations, deactivations, erasures and redrives need a second admin, and for how long a proposal waits',
  responses: {
    200: json(
      z.object({ mode: z.enum(['four-eyes', 'single']), proposalTtlSeconds: z.number().int() }),
      'The approval settings',
    ),
    ...refusals,
  },
});
