import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { plainText } from '../platform/text.js';
import type { AdminReads } from './admin-reads.js';
import { approvedEnvironment, type ApprovalSettings, type Approved } from './approvals.js';
import type { AuthEnv } from './auth.js';
import { backfillRequest, type ReplayDependencies } from './backfill-request.js';
import { actorOf, forAdmins, forOperations, invalid, refusals, security } from './operations.js';
import { problem, problemResponse } from './problem.js';
import {
  PROPOSAL_KINDS,
  proposalActions,
  proposalRoutes,
  proposalTarget,
  type ActionRequest,
  type ProposalAction,
  type ProposalKind,
} from './proposal-kinds.js';
import type { Proposal, ProposalStore, Refusal } from './proposal-store.js';
import type { RuleAdminStore } from './rule-admin-store.js';
import { createRouter } from './router.js';

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

const proposeRoute = createRoute({
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

const listRoute = createRoute({
  method: 'get',
  path: '/v1/admin/proposals',
  operationId: 'listProposals',
  tags: ['approvals'],
  security,
  middleware: forOperations,
  summary: 'Proposals, newest first: those waiting for a decision, or all',
  request: {
    query: z.object({
      state: z.enum(['undecided', 'all']).default('undecided'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: json(z.object({ proposals: z.array(proposalView) }), 'Proposals'), ...refusals },
});

const oneRoute = createRoute({
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

const decisionRoute = (decision: 'approve' | 'reject') =>
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

const settingsRoute = createRoute({
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

/** Runs a request through the API's own routes, as the caller whose Authorization it carries. */
export type Dispatch = (
  request: ActionRequest,
  authorization: string,
  approved?: Approved,
) => Promise<{ status: number; body: unknown }>;

export interface ProposalDependencies {
  store: ProposalStore;
  rules: Pick<RuleAdminStore, 'list'>;
  replays: ReplayDependencies;
  audit: AdminReads['audit'];
  settings: ApprovalSettings;
}

/** How far back a dry run of an activation without a backfill looks: what the rule would have done lately. */
const ESTIMATE_DAYS = 30;

/**
 * `/v1/admin/proposals…` (CONTRACT §6): one admin proposes an activation, a deactivation, an erasure or a
 * redrive, a different admin approves (it runs then, through its own route) or rejects it.
 */
export function proposalRoutesOf(deps: ProposalDependencies, dispatch: Dispatch) {
  const withRule = async (proposal: Proposal) => {
    if (proposal.kind !== 'rule.activate' && proposal.kind !== 'rule.deactivate')
      return { ...proposal, target: proposalTarget(proposal.kind, proposal.action) };
    const { ruleId, version } = proposal.action as { ruleId: string; version?: number };
    const listing = (await deps.rules.list()).find((rule) => rule.ruleId === ruleId);
    const versionOf = (v: number | undefined) => {
      const found = listing?.versions.find((candidate) => candidate.version === v);
      return found ? { version: found.version, document: found.document } : null;
    };
    return {
      ...proposal,
      target: proposalTarget(proposal.kind, proposal.action),
      rule: { ruleId, live: versionOf(listing?.active?.version), proposed: versionOf(version) },
    };
  };

  /**
   * A rule's proposal is refused at once for what its route would refuse: an unknown rule or version, or an
   * activation's backfill from a time whose history is not all there. An activation's is given its document.
   */
  const checkRule = async (c: Context<AuthEnv>, kind: ProposalKind, action: ProposalAction) => {
    if (kind !== 'rule.activate' && kind !== 'rule.deactivate') return { ok: true as const };
    const { ruleId, version } = action as { ruleId: string; version?: number };
    const listing = (await deps.rules.list()).find((rule) => rule.ruleId === ruleId);
    const found = listing?.versions.find((candidate) => candidate.version === version);
    if (!listing || (kind === 'rule.activate' && !found))
      return {
        ok: false as const,
        refused: problem(c, {
          title: 'Not Found',
          status: 404,
          detail: `No rule ${ruleId}${kind === 'rule.activate' ? ` version ${version}` : ''}; see GET /v1/admin/rules.`,
        }),
      };
    if (kind === 'rule.deactivate') return { ok: true as const };
    const backfill = await backfillRequest(action as ProposalAction<'rule.activate'>, deps.replays.starter);
    if ('problems' in backfill)
      return {
        ok: false as const,
        refused: invalid(
          c,
          backfill.problems.map((p) => ({ ...p, pointer: `/action${p.pointer}` })),
        ),
      };
    return { ok: true as const, document: found!.document };
  };

  const estimate = async (c: Context<AuthEnv>, proposalId: string, document: unknown, from: string) => {
    const started = await dispatch(
      { method: 'POST', path: '/v1/admin/dry-runs', body: { rule: document, from } },
      c.req.header('Authorization')!,
    );
    const dryRunId = (started.body as { dryRunId?: string } | null)?.dryRunId;
    if (started.status === 202 && dryRunId) await deps.store.attachDryRun(proposalId, dryRunId);
  };

  const notFound = (c: Context) =>
    problem(c, { title: 'Not Found', status: 404, detail: 'No such proposal; see /v1/admin/proposals.' });

  const decisionRefused = (c: Context, refusal: Refusal) => {
    switch (refusal.refused) {
      case 'not-found':
        return notFound(c);
      case 'own':
        return problem(c, {
          title: 'Forbidden',
          status: 403,
          detail: 'You proposed this: a different admin approves or rejects it.',
        });
      case 'decided':
        return problem(c, {
          title: 'Conflict',
          status: 409,
          detail: `Already ${refusal.proposal.state === 'rejected' ? 'rejected' : 'approved'} by ${refusal.proposal.decidedBy} at ${refusal.proposal.decidedAt}.`,
        });
      case 'expired':
        return problem(c, {
          title: 'Conflict',
          status: 409,
          detail: `It expired at ${refusal.proposal.expiresAt} undecided; propose it again.`,
        });
    }
  };

  const app = createRouter<AuthEnv>();
  app.openapi(settingsRoute, (c) =>
    c.json(
      { mode: deps.settings.mode, proposalTtlSeconds: Math.round(deps.settings.proposalTtlMs / 1000) },
      200,
    ),
  );
  app.openapi(proposeRoute, async (c) => {
    const {
      kind,
      action,
      reason: why,
    } = c.req.valid('json') as {
      kind: ProposalKind;
      action: ProposalAction;
      reason: string;
    };
    const checked = await checkRule(c, kind, action);
    if (!checked.ok) return checked.refused;
    const actor = actorOf(c);
    const proposal = await deps.store.create({
      kind,
      action,
      reason: why,
      proposedBy: actor.actorId,
      ttlMs: deps.settings.proposalTtlMs,
    });
    await deps.audit({
      ...actor,
      action: 'proposal.create',
      target: `${proposal.proposalId} ${kind} ${proposalTarget(kind, action)}`,
      reason: why,
    });
    if ('document' in checked) {
      const { backfillFrom } = action as ProposalAction<'rule.activate'>;
      const from = backfillFrom ?? new Date(Date.now() - ESTIMATE_DAYS * 86_400_000).toISOString();
      await estimate(c, proposal.proposalId, checked.document, from);
    }
    return c.json(await withRule((await deps.store.one(proposal.proposalId))!), 201);
  });
  app.openapi(listRoute, async (c) => {
    const { state, limit } = c.req.valid('query');
    const proposals = await deps.store.list({ undecidedOnly: state === 'undecided', limit });
    return c.json({ proposals: await Promise.all(proposals.map(withRule)) }, 200);
  });
  app.openapi(oneRoute, async (c) => {
    const proposal = await deps.store.one(c.req.valid('param').proposalId);
    if (!proposal) return notFound(c);
    return c.json(await withRule(proposal), 200);
  });
  app.openapi(decisionRoute('approve'), async (c) => {
    const { proposalId } = c.req.valid('param');
    const actor = actorOf(c);
    const why = c.req.valid('json')?.reason ?? null;
    const decided = await deps.store.decide(proposalId, 'approved', actor.actorId, why);
    if ('refused' in decided) return decisionRefused(c, decided);
    await deps.audit({ ...actor, action: 'proposal.approve', target: proposalId, reason: why });
    const kind = decided.kind;
    const request = proposalRoutes[kind].request(decided.action as never, decided.reason);
    const result = await dispatch(request, c.req.header('Authorization')!, {
      proposalId,
      proposedBy: decided.proposedBy,
      approvedBy: actor.actorId,
    });
    return c.json(await withRule(await deps.store.recordResult(proposalId, result)), 200);
  });
  app.openapi(decisionRoute('reject'), async (c) => {
    const { proposalId } = c.req.valid('param');
    const actor = actorOf(c);
    const why = c.req.valid('json').reason ?? null;
    const decided = await deps.store.decide(proposalId, 'rejected', actor.actorId, why);
    if ('refused' in decided) return decisionRefused(c, decided);
    await deps.audit({ ...actor, action: 'proposal.reject', target: proposalId, reason: why });
    return c.json(await withRule(decided), 200);
  });
  return app;
}

/** Runs `request` through `app` in this process; an approved proposal's request carries it where no caller can. */
export function dispatchThrough(app: {
  fetch: (request: Request, env?: object) => Response | Promise<Response>;
}): Dispatch {
  return async (request, authorization, approved) => {
    const response = await app.fetch(
      new Request(`http://internal${request.path}`, {
        method: request.method,
        headers: { Authorization: authorization, 'Content-Type': 'application/json' },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      }),
      approved ? approvedEnvironment(approved) : {},
    );
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
}
