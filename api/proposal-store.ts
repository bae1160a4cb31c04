import type pg from 'pg';
import type { ProposalAction, ProposalKind } from './proposal-kinds.js';

/** Where a proposal stands: waiting, past its time, decided, and for an approved one what running it answered. */
export type ProposalState = 'open' | 'expired' | 'rejected' | 'running' | 'done' | 'failed';

export interface Proposal {
  proposalId: string;
  kind: ProposalKind;
  action: ProposalAction;
  reason: string;
  proposedBy: string;
  proposedAt: string;
  expiresAt: string;
  state: ProposalState;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** What the action's own route answered when the approval ran it. */
  result: { status: number; body: unknown } | null;
  /** The dry run started with an activation's proposal: what it would do, for the approver to read. */
  dryRunId: string | null;
}

/** Why a decision was not taken: the row is missing, not the decider's to take, or no longer open. */
export type Refusal =
  | { refused: 'not-found' }
  | { refused: 'own' }
  | { refused: 'decided'; proposal: Proposal }
  | { refused: 'expired'; proposal: Proposal };

export interface ProposalStore {
  create(proposal: {
    kind: ProposalKind;
    action: ProposalAction;
    reason: string;
    proposedBy: string;
    ttlMs: number;
  }): Promise<Proposal>;
  attachDryRun(proposalId: string, dryRunId: string): Promise<void>;
  /** Newest first: those still waiting for a decision (undecided and unexpired), or all. */
  list(filter: { undecidedOnly: boolean; limit: number }): Promise<Proposal[]>;
  one(proposalId: string): Promise<Proposal | undefined>;
  /**
   * Takes the decision if the proposal is still open, unexpired and not the decider's own: one statement, so
   * two admins deciding at once cannot both take it.
   */
  decide(
    proposalId: string,
    decision: 'approved' | 'rejected',
    decidedBy: string,
    reason: string | null,
  ): Promise<Proposal | Refusal>;
  recordResult(proposalId: string, result: { status: number; body: unknown }): Promise<Proposal>;
  /**
   * Claims the approved proposals whose action has not answered `unansweredMs` after it was sent (the process
   * sending it died), marking them sent again now: one statement, so two API processes never claim the same.
   */
  claimUnanswered(unansweredMs: number): Promise<Proposal[]>;
}

interface Row {
  id: string;
  kind: ProposalKind;
  action: ProposalAction;
  reason: string;
  proposed_by: string;
  proposed_at: Date;
  expires_at: Date;
  dry_run_id: string | null;
  decision: 'approved' | 'rejected' | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  result_status: number | null;
  result: unknown;
}

function stateOf(row: Row, nowMs: number): ProposalState {
  if (row.decision === 'rejected') return 'rejected';
  if (row.decision === 'approved') {
    if (row.result_status === null) return 'running';
    return row.result_status < 300 ? 'done' : 'failed';
  }
  return row.expires_at.getTime() <= nowMs ? 'expired' : 'open';
}

const viewOf = (row: Row, nowMs: number): Proposal => ({
  proposalId: row.id,
  kind: row.kind,
  action: row.action,
  reason: row.reason,
  proposedBy: row.proposed_by,
  proposedAt: row.proposed_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  state: stateOf(row, nowMs),
  decidedBy: row.decided_by,
  decidedAt: row.decided_at?.toISOString() ?? null,
  decisionReason: row.decision_reason,
  result: row.result_status === null ? null : { status: row.result_status, body: row.result },
  dryRunId: row.dry_run_id,
});

/** Proposals in PostgreSQL (`admin_proposals`, migration 0016). */
export function postgresProposals(db: pg.Pool, nowMs = Date.now): ProposalStore {
  const one = async (proposalId: string) => {
    const { rows } = await db.query<Row>('SELECT * FROM admin_proposals WHERE id = $1', [proposalId]);
    return rows[0] && viewOf(rows[0], nowMs());
  };
  return {
    create: async ({ kind, action, reason, proposedBy, ttlMs }) => {
      const { rows } = await db.query<Row>(
        `INSERT INTO admin_proposals (kind, action, reason, proposed_by, proposed_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [kind, action, reason, proposedBy, new Date(nowMs()), new Date(nowMs() + ttlMs)],
      );
      return viewOf(rows[0]!, nowMs());
    },
    attachDryRun: async (proposalId, dryRunId) => {
      await db.query('UPDATE admin_proposals SET dry_run_id = $2 WHERE id = $1', [proposalId, dryRunId]);
    },
    list: async ({ undecidedOnly, limit }) => {
      const { rows } = await db.query<Row>(
        `SELECT * FROM admin_proposals
          WHERE NOT $1 OR (decision IS NULL AND expires_at > $3)
          ORDER BY id DESC LIMIT $2`,
        [undecidedOnly, limit, new Date(nowMs())],
      );
      return rows.map((row) => viewOf(row, nowMs()));
    },
    one,
    decide: async (proposalId, decision, decidedBy, reason) => {
      const { rows } = await db.query<Row>(
        `UPDATE admin_proposals
            SET decision = $2, decided_by = $3, decided_at = $4, decision_reason = $5,
                dispatched_at = CASE WHEN $2 = 'approved' THEN $4 END
          WHERE id = $1 AND decision IS NULL AND expires_at > $4 AND proposed_by <> $3
          RETURNING *`,
        [proposalId, decision, decidedBy, new Date(nowMs()), reason],
      );
      if (rows[0]) return viewOf(rows[0], nowMs());
      const proposal = await one(proposalId);
      if (!proposal) return { refused: 'not-found' };
      if (proposal.decidedBy !== null) return { refused: 'decided', proposal };
      if (proposal.state === 'expired') return { refused: 'expired', proposal };
      return { refused: 'own' };
    },
    claimUnanswered: async (unansweredMs) => {
      const now = nowMs();
      const { rows } = await db.query<Row>(
        `UPDATE admin_proposals SET dispatched_at = $1
          WHERE decision = 'approved' AND result_status IS NULL AND dispatched_at < $2
          RETURNING *`,
        [new Date(now), new Date(now - unansweredMs)],
      );
      return rows.map((row) => viewOf(row, now));
    },
    recordResult: async (proposalId, { status, body }) => {
      const { rows } = await db.query<Row>(
        'UPDATE admin_proposals SET result_status = $2, result = $3 WHERE id = $1 RETURNING *',
        [proposalId, status, JSON.stringify(body ?? null)],
      );
      return viewOf(rows[0]!, nowMs());
    },
  };
}
