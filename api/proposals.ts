import type { Context } from 'hono';
import type { AdminReads } from './admin-reads.js';
import { approvedEnvironment, type ApprovalSettings, type Approved } from './approvals.js';
import type { AuthEnv } from './auth.js';
import { backfillRequest, type ReplayDependencies } from './backfill-request.js';
import { actorOf, invalid } from './operations.js';
import { problem } from './problem.js';
import {
  actionRoutes,
  proposalTarget,
  type ActionRequest,
  type ProposalAction,
  type ProposalKind,
} from './proposal-kinds.js';
import { decisionRoute, listRoute, oneRoute, proposeRoute, settingsRoute } from './proposal-openapi.js';
import type { Proposal, ProposalStore, Refusal } from './proposal-store.js';
import type { RuleAdminStore } from './rule-admin-store.js';
import { createRouter } from './router.js';

/**
 * Runs a request through the API's own routes in this process: as an approved proposal's (its approver, no
 * token needed), or as the caller whose Authorization it carries.
 */
export type Dispatch = (
  request: ActionRequest,
  as: { approved: Approved } | { authorization: string },
) => Promise<{ status: number; body: unknown }>;

/** Runs an approved proposal's action through its own route and keeps what the route answered. */
export async function runApproved(store: ProposalStore, dispatch: Dispatch, proposal: Proposal) {
  const request = actionRoutes[proposal.kind].request(proposal.action as never, proposal.reason);
  const approved = {
    proposalId: proposal.proposalId,
    proposedBy: proposal.proposedBy,
    approvedBy: proposal.decidedBy!,
  };
  const result = await dispatch(request, { approved }).catch((error: unknown) => ({
    status: 503,
    body: { detail: `the action did not answer: ${String(error)}` },
  }));
  return store.recordResult(proposal.proposalId, result);
}

/** How long an approved proposal's action may go unanswered before it is sent again: well past a request's. */
export const UNANSWERED_AFTER_MS = 2 * 60_000;

/**
 * Sends again the actions of approved proposals left unanswered (the API process sending one died between the
 * decision and the answer). Each action is idempotent (an activation already live, an erasure done, a dead
 * letter already redriven change nothing more), so one sent twice does no harm.
 */
export async function resumeUnanswered(store: ProposalStore, dispatch: Dispatch) {
  const unanswered = await store.claimUnanswered(UNANSWERED_AFTER_MS);
  for (const proposal of unanswered) await runApproved(store, dispatch, proposal);
  return unanswered.length;
}

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
  /** Proposals as the API shows them: what each acts on, and for a rule its live and proposed documents. */
  const shown = async (proposals: Proposal[]) => {
    const listings = proposals.some(({ kind }) => kind.startsWith('rule.')) ? await deps.rules.list() : [];
    return proposals.map((proposal) => {
      const target = proposalTarget(proposal.kind, proposal.action);
      if (!proposal.kind.startsWith('rule.')) return { ...proposal, target };
      const { ruleId, version } = proposal.action as { ruleId: string; version?: number };
      const listing = listings.find((rule) => rule.ruleId === ruleId);
      const versionOf = (v: number | undefined) => {
        const found = listing?.versions.find((candidate) => candidate.version === v);
        return found ? { version: found.version, document: found.document } : null;
      };
      return {
        ...proposal,
        target,
        rule: { ruleId, live: versionOf(listing?.active?.version), proposed: versionOf(version) },
      };
    });
  };
  const shownOne = async (proposal: Proposal) => (await shown([proposal]))[0]!;

  /**
   * A rule's proposal is refused at once when its rule or version does not exist, or when an activation's
   * backfill starts where the history is not all there (what the activation route would refuse later, at
   * approval, it refuses then: a backfill still running, one of a version keeping earlier progress). An
   * activation's is given its document, for its estimate.
   */
  const checkRule = async (c: Context<AuthEnv>, kind: ProposalKind, action: ProposalAction) => {
    if (!kind.startsWith('rule.')) return { ok: true as const };
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
      { authorization: c.req.header('Authorization')! },
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
      proposalId: proposal.proposalId,
      action: 'proposal.create',
      target: `${kind} ${proposalTarget(kind, action)}`,
      reason: why,
    });
    if ('document' in checked) {
      const { backfillFrom } = action as ProposalAction<'rule.activate'>;
      const from = backfillFrom ?? new Date(Date.now() - ESTIMATE_DAYS * 86_400_000).toISOString();
      await estimate(c, proposal.proposalId, checked.document, from);
    }
    return c.json(await shownOne((await deps.store.one(proposal.proposalId))!), 201);
  });
  app.openapi(listRoute, async (c) => {
    const { state, limit } = c.req.valid('query');
    const proposals = await deps.store.list({ undecidedOnly: state === 'undecided', limit });
    return c.json({ proposals: await shown(proposals) }, 200);
  });
  app.openapi(oneRoute, async (c) => {
    const proposal = await deps.store.one(c.req.valid('param').proposalId);
    if (!proposal) return notFound(c);
    return c.json(await shownOne(proposal), 200);
  });
  app.openapi(decisionRoute('approve'), async (c) => {
    const { proposalId } = c.req.valid('param');
    const actor = actorOf(c);
    const why = c.req.valid('json')?.reason ?? null;
    const decided = await deps.store.decide(proposalId, 'approved', actor.actorId, why);
    if ('refused' in decided) return decisionRefused(c, decided);
    const target = `${decided.kind} ${proposalTarget(decided.kind, decided.action)}`;
    await deps.audit({ ...actor, proposalId, action: 'proposal.approve', target, reason: why });
    return c.json(await shownOne(await runApproved(deps.store, dispatch, decided)), 200);
  });
  app.openapi(decisionRoute('reject'), async (c) => {
    const { proposalId } = c.req.valid('param');
    const actor = actorOf(c);
    const why = c.req.valid('json').reason ?? null;
    const decided = await deps.store.decide(proposalId, 'rejected', actor.actorId, why);
    if ('refused' in decided) return decisionRefused(c, decided);
    const target = `${decided.kind} ${proposalTarget(decided.kind, decided.action)}`;
    await deps.audit({ ...actor, proposalId, action: 'proposal.reject', target, reason: why });
    return c.json(await shownOne(decided), 200);
  });
  return app;
}

/** Runs `request` through `app` in this process; an approved proposal's request carries it where no caller can. */
export function dispatchThrough(app: {
  fetch: (request: Request, env?: object) => Response | Promise<Response>;
}): Dispatch {
  return async (request, as) => {
    const response = await app.fetch(
      new Request(`http://internal${request.path}`, {
        method: request.method,
        headers: {
          'Content-Type': 'application/json',
          ...('authorization' in as ? { Authorization: as.authorization } : {}),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      }),
      'approved' in as ? approvedEnvironment(as.approved) : {},
    );
    const text = await response.text();
    try {
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
    } catch {
      return { status: response.status, body: text };
    }
  };
}
