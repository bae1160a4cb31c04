import type pg from 'pg';
import type { AuditEntry } from './admin-reads.js';

/** Who asks for a change, as the audit log records it: for an approved proposal, both admins and the proposal. */
export type Actor = Pick<AuditEntry, 'actorId' | 'actorRole' | 'approvedBy' | 'proposalId'>;

/** Appends one entry to the audit log (`audit_log`, append-only); the one place entries are written. */
export async function audit(
  db: pg.ClientBase | pg.Pool,
  actor: Actor,
  action: string,
  target: string,
  reason: string | null,
) {
  await db.query(
    `INSERT INTO audit_log (actor_id, actor_role, action, target, reason, approved_by, proposal_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      actor.actorId,
      actor.actorRole,
      action,
      target,
      reason,
      actor.approvedBy ?? null,
      actor.proposalId ?? null,
    ],
  );
}
