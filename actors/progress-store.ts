import type pg from 'pg';
import { writeProgress, writeUnlocks, type StoredProgress } from '../platform/engine-state.js';
import { inTransaction } from '../platform/postgres.js';
import { spendBudgets } from '../platform/budget-store.js';
import type { BudgetedUnlock, UnlockOutput } from '../platform/unlock-records.js';
import type { Catalog } from '../rules/catalog.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import type { ProgressNudged } from '../rules/nudges.js';
import { storeNudges } from '../platform/nudge-store.js';
import { writeRedrives, type RedriveOutcomes } from '../platform/redrive-state.js';

/** Where a partition stands in PostgreSQL: the next offset to process and the rule change it runs under. */
export interface StoredPosition {
  /** Undefined when this group never committed here. */
  nextOffset: string | undefined;
  /** The newest rule change applied to this partition; 0 before any. */
  ruleSeq: number;
  /** Moved by each backfill merged into the partition's clients: progress read before it is stale. */
  epoch: number;
}

/** Where a run of one partition's records leaves it, and where it found it (the fence against another owner). */
export interface PartitionPosition {
  topic: string;
  partition: number;
  nextOffset: string;
  /** The run's first offset: rule changes this run is the first to apply go live there. */
  fromOffset: string;
  ruleSeq: number;
  /** Where the partition stood when the run was read; the commit refuses if it moved since. */
  found: StoredPosition;
}

/**
 * The partition was committed by someone else since this instance read where it stood (a rebalance handed it
 * over while a batch was in flight): nothing of the run is stored, and it must be read again.
 */
export class StalePartition extends Error {
  constructor(topic: string, partition: number) {
    super(`${topic}:${partition} moved on since it was read; the run is applied again from where it stands`);
    this.name = 'StalePartition';
  }
}

/** What one batch changed: the newest progress per client, new unlocks, and where the partition now stands. */
export interface BatchEffects {
  progress: Map<string, StoredProgress>;
  unlocked: AchievementUnlocked[];
  /** Progress points crossed, for the nudge dispatcher to send. */
  nudged: ProgressNudged[];
  /** The catalog the batch ran under: its rules' budgets. */
  catalog: Catalog;
  /** The records announcing unlocks, once their budgets have decided what each is given. */
  announce: (unlocked: BudgetedUnlock[]) => UnlockOutput[];
  position: PartitionPosition;
  /** For a run of redrive records: what the engine accepted of them, and refused again. */
  redrives?: RedriveOutcomes;
}

/** Where a partition stands for this group. */
export async function storedPosition(
  db: pg.Pool,
  groupId: string,
  topic: string,
  partition: number,
): Promise<StoredPosition> {
  const { rows } = await db.query<{ next_offset: string; rule_seq: string; epoch: string }>(
    `SELECT next_offset, rule_seq, epoch FROM consumer_offsets
      WHERE group_id = $1 AND topic = $2 AND partition = $3`,
    [groupId, topic, partition],
  );
  return {
    nextOffset: rows[0]?.next_offset,
    ruleSeq: Number(rows[0]?.rule_seq ?? 0),
    epoch: Number(rows[0]?.epoch ?? 0),
  };
}

/**
 * Moves the partition's stored position from where the run found it to where it leaves it, or throws
 * `StalePartition` if another owner moved it meanwhile, or a backfill merged into its clients (the epoch). The
 * row lock it takes also orders concurrent commits, and waits for a backfill's merge holding it.
 * Rule changes first applied by this run are recorded as live from the run's first offset.
 */
async function movePosition(client: pg.PoolClient, groupId: string, position: PartitionPosition) {
  const { topic, partition, nextOffset, ruleSeq, found } = position;
  const moved =
    found.nextOffset === undefined
      ? await client.query(
          `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, rule_seq)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [groupId, topic, partition, nextOffset, ruleSeq],
        )
      : await client.query(
          `UPDATE consumer_offsets SET next_offset = $4, rule_seq = $5, updated_at = now()
            WHERE group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $6 AND rule_seq = $7
              AND epoch = $8`,
          [groupId, topic, partition, nextOffset, ruleSeq, found.nextOffset, found.ruleSeq, found.epoch],
        );
  if (moved.rowCount === 0) throw new StalePartition(topic, partition);
  if (ruleSeq > found.ruleSeq) {
    await client.query(
      `INSERT INTO rule_change_positions (seq, group_id, topic, partition, from_offset)
       SELECT seq, $1, $2, $3, $4 FROM rule_changes WHERE seq > $5 AND seq <= $6`,
      [groupId, topic, partition, position.fromOffset, found.ruleSeq, ruleSeq],
    );
  }
}

/**
 * Commits one batch: progress, unlocks (after their rules' budgets) with their outbox records, nudges, and the
 * partition's next offset, in one transaction. Either all of it is stored or none, so after a crash the batch is
 * replayed from the stored offset onto the stored progress and nothing is counted, or spent, twice or lost.
 */
export async function commitBatch(db: pg.Pool, groupId: string, effects: BatchEffects) {
  await inTransaction(db, async (client) => {
    await movePosition(client, groupId, effects.position);
    await writeProgress(client, effects.progress);
    await writeUnlocks(
      client,
      effects.announce(await spendBudgets(client, effects.unlocked, effects.catalog)),
    );
    await storeNudges(client, effects.nudged);
    if (effects.redrives) await writeRedrives(client, effects.redrives);
  });
}
