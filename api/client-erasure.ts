import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { inTransaction } from '../platform/postgres.js';
import { lockClient } from '../workflows/ledger.js';
import { rewardWorkflowId, SEARCH_ATTRIBUTES } from '../workflows/reward-contract.js';
import type { AuditEntry } from './admin-reads.js';
import { audit } from './audit-log.js';

/** What an erasure removed, as the route answers it. */
export interface Erasure {
  clientId: string;
  erasedAt: string;
  removed: { progress: number; unlocks: number; rewards: number; segments: number; deadLetters: number };
  /** Ledger entries kept, their client replaced by a pseudonym no table links back. */
  ledgerEntriesPseudonymized: number;
  /** Reward workflows Temporal was asked to delete (running ones are terminated; all gone within a minute). */
  workflowsDeleted: number;
}

/**
 * Erases a client in one transaction (CONTRACT §7): the erasure is recorded (events dated before it never count
 * again), progress, unlocks, rewards, tiers, segment memberships, unpublished records and kept dead letters
 * are deleted, the ledger is pseudonymized, and the audit log says who erased whom and why. Every partition's
 * epoch moves, so a processor or a backfill's merge holding the client's progress from before cannot write
 * it back: they read their clients again, erasure included.
 */
export async function eraseStored(
  db: pg.Pool,
  clientId: string,
  entry: Omit<AuditEntry, 'target'>,
  journal: ErasureJournal,
) {
  return inTransaction(db, async (client) => {
    // In the order processors and merges lock them, so an erasure waits for them rather than deadlocking.
    await client.query('SELECT 1 FROM consumer_offsets ORDER BY group_id, topic, partition FOR UPDATE');
    await client.query('UPDATE consumer_offsets SET epoch = epoch + 1');
    // A reward activity writing for the client finishes first, or waits and then sees the erasure.
    await lockClient(client, clientId);
    const { rows } = await client.query<{ erased_at: Date }>(
      `INSERT INTO erased_clients (client_id, erased_at) VALUES ($1, coalesce($2, now()))
       ON CONFLICT (client_id) DO UPDATE SET erased_at = excluded.erased_at RETURNING erased_at`,
      [clientId, journal.erasedAt ?? null],
    );
    const deleted = async (sql: string) => (await client.query(sql, [clientId])).rowCount ?? 0;
    const rewardWorkflows = (
      await client.query<{ achievement_id: string; occurrence: string }>(
        'SELECT achievement_id, occurrence FROM achievement_unlocks WHERE client_id = $1',
        [clientId],
      )
    ).rows.map((row) => rewardWorkflowId(clientId, row.achievement_id, row.occurrence));
    const removed = {
      progress: await deleted('DELETE FROM client_progress WHERE client_id = $1'),
      unlocks: await deleted('DELETE FROM achievement_unlocks WHERE client_id = $1'),
      rewards: await deleted('DELETE FROM rewards WHERE client_id = $1'),
      segments: await deleted('DELETE FROM segment_members WHERE client_id = $1'),
      // A large original is in both tables (indexed, and kept whole); one kept before 0008 only in the second.
      deadLetters: Number(
        (
          await client.query<{ n: string }>(
            `WITH indexed AS (DELETE FROM dead_letters WHERE key = convert_to($1, 'UTF8')
                               RETURNING topic, partition, "offset"),
                  kept AS (DELETE FROM dead_letter_records WHERE key = convert_to($1, 'UTF8')
                            RETURNING topic, partition, "offset")
             SELECT count(*) AS n FROM (SELECT * FROM indexed UNION SELECT * FROM kept) AS letters`,
            [clientId],
          )
        ).rows[0]!.n,
      ),
    };
    await deleted('DELETE FROM loyalty_tiers WHERE client_id = $1');
    await deleted('DELETE FROM loyalty_tier_changes WHERE client_id = $1');
    await deleted('DELETE FROM outbox WHERE key = $1');
    await deleted('DELETE FROM replay_client_state WHERE client_id = $1');
    // What the client took from a rule's budget stays taken; whose it was, and an id derived from them, go.
    await deleted(
      'UPDATE budget_spends SET client_id = NULL, unlock_id = gen_random_uuid() WHERE client_id = $1',
    );
    await deleted('DELETE FROM nudges WHERE client_id = $1');
    await deleted(
      `UPDATE segment_changes
          SET client_ids = array_remove(client_ids, $1), added = array_remove(added, $1),
              removed = array_remove(removed, $1)
        WHERE $1 = ANY (client_ids)`,
    );
    // Grants keep their achievement (the bank's liability by achievement); keys naming the unlock, and other
    // entries' free-text references, are replaced. An expiry's key names only the grant's row id: it stays, so
    // the grant still expires once.
    const pseudonymized = await client.query(
      `UPDATE loyalty_ledger
          SET client_id = $2,
              idempotency_key = CASE WHEN kind = 'expiry' THEN idempotency_key ELSE kind || ':erased:' || id END,
              reference = CASE WHEN kind = 'grant' THEN reference END
        WHERE client_id = $1`,
      [clientId, `erased-${randomUUID()}`],
    );
    await audit(client, entry, entry.action, clientId, entry.reason);
    // The erasure outlives this database: a restore to a time before it applies it again from the topic.
    await client.query(
      `INSERT INTO outbox (topic, key, value)
       SELECT $1, client_id, json_build_object('clientId', client_id, 'erasedAt', erased_at)
         FROM erased_clients WHERE client_id = $2`,
      [journal.topic, clientId],
    );
    return {
      erasedAt: rows[0]!.erased_at,
      rewardWorkflows,
      removed,
      ledgerEntriesPseudonymized: pseudonymized.rowCount ?? 0,
    };
  });
}

/** Temporal's query syntax quotes a value in double quotes, backslash escaping. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * Asks Temporal to delete the client's reward workflows (their inputs and histories name the client): those
 * of the unlocks just erased, and any other its visibility lists for the client. Temporal terminates a running
 * one and deletes it at once; one just closed goes within about a minute (it waits for the close's own
 * tasks). One that starts later for an unlock from before finds the erasure and ends without effect.
 */
async function deleteWorkflows(temporal: Client, clientId: string, rewardWorkflows: string[]) {
  const ids = new Set(rewardWorkflows);
  for await (const workflow of temporal.workflow.list({
    query: `${SEARCH_ATTRIBUTES.clientId.name} = ${quoted(clientId)}`,
  }))
    ids.add(workflow.workflowId);
  const asked = await Promise.all(
    [...ids].map((workflowId) =>
      temporal.workflowService
        .deleteWorkflowExecution({ namespace: temporal.options.namespace, workflowExecution: { workflowId } })
        .then(
          () => true,
          (error: unknown) => {
            if ((error as { code?: number }).code === NOT_FOUND) return false;
            throw error;
          },
        ),
    ),
  );
  return asked.filter(Boolean).length;
}

/** gRPC's NOT_FOUND: the workflow never started, or is gone already. */
const NOT_FOUND = 5;

/**
 * Where erasures are journaled (`achievements.erasures.v1`, compacted: the last erasure of each client), and,
 * when one is applied again after a restore, the time it was first made.
 */
export interface ErasureJournal {
  topic: string;
  erasedAt?: string;
}

export interface ClientErasure {
  erase: (clientId: string, audit: Omit<AuditEntry, 'target'>) => Promise<Erasure>;
}

export function clientErasure(db: pg.Pool, temporal: Client, erasuresTopic: string): ClientErasure {
  return {
    erase: async (clientId, audit) => {
      const stored = await eraseStored(db, clientId, audit, { topic: erasuresTopic });
      let workflowsDeleted = 0;
      try {
        workflowsDeleted = await deleteWorkflows(temporal, clientId, stored.rewardWorkflows);
      } catch (error) {
        // The erasure itself holds: a reward workflow left finds it and does nothing. Asking again retries this.
        logger('privacy').warn({ err: error }, 'reward workflows of an erased client not all deleted');
      }
      return {
        clientId,
        erasedAt: stored.erasedAt.toISOString(),
        removed: stored.removed,
        ledgerEntriesPseudonymized: stored.ledgerEntriesPseudonymized,
        workflowsDeleted,
      };
    },
  };
}
