import type pg from 'pg';
import { writeProgress, writeUnlocks, type StoredProgress } from '../platform/engine-state.js';
import { transactionOn } from '../platform/postgres.js';
import { COMPRESS_WAL } from '../platform/wal-compression.js';
import { spendBudgets } from '../platform/budget-store.js';
import type { BudgetedUnlock, UnlockOutput } from '../platform/unlock-records.js';
import type { Catalog } from '../rules/catalog.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import type { ProgressNudged } from '../rules/nudges.js';
import { storeNudges } from '../platform/nudge-store.js';
import { writeRedrives, type RedriveOutcomes } from '../platform/redrive-state.js';

/** Where a topic's partition stands in PostgreSQL: its last checkpoint, and the unlocks stored past it. */
export interface StoredPosition {
  /** The next offset to process once the checkpoint's progress is loaded. */
  nextOffset: string;
  /** The newest rule change the partition's records from `nextOffset` on are decided under, until it takes another. */
  ruleSeq: number;
  /** Moved by each backfill merged into the partition's clients, and each erasure: progress read before is stale. */
  epoch: number;
  /** The offset after the last record whose unlocks are stored; a replay takes no newer change before it. */
  decidedOffset: string | undefined;
  /** The newest segment import the partition's clients are decided with. */
  segmentSeq: number;
}

/**
 * The partition was written by someone else since this instance read where it stood (a rebalance handed it
 * over, a backfill merged into its clients, a client was erased): nothing of the write is stored, and the
 * partition is read again from its checkpoint.
 */
export class StalePartition extends Error {
  constructor(topic: string, partition: number) {
    super(`${topic}:${partition} moved on since it was read; it is read again from its checkpoint`);
    this.name = 'StalePartition';
  }
}

/** Where partition `partition` of each of these topics stands for this group (topics never checkpointed absent). */
export async function storedPositions(
  db: pg.Pool,
  groupId: string,
  topics: readonly string[],
  partition: number,
): Promise<Map<string, StoredPosition>> {
  const { rows } = await db.query<{
    topic: string;
    next_offset: string;
    rule_seq: string;
    epoch: string;
    decided_offset: string | null;
    segment_seq: string;
  }>(
    `SELECT topic, next_offset, rule_seq, epoch, decided_offset, segment_seq FROM consumer_offsets
      WHERE group_id = $1 AND topic = ANY($2) AND partition = $3`,
    [groupId, topics, partition],
  );
  return new Map(
    rows.map((row) => [
      row.topic,
      {
        nextOffset: row.next_offset,
        ruleSeq: Number(row.rule_seq),
        epoch: Number(row.epoch),
        decidedOffset: row.decided_offset ?? undefined,
        segmentSeq: Number(row.segment_seq),
      },
    ]),
  );
}

/**
 * A backfill waits to merge into the partition's clients: no unlock is stored until the merge is done, so the
 * partition is checkpointed and its run tried again later (see workflows/backfill-merge-step.ts).
 */
export class MergeWaiting extends Error {
  constructor(topic: string, partition: number) {
    super(`a backfill waits to merge into ${topic}:${partition}; its run is applied once the merge is done`);
    this.name = 'MergeWaiting';
  }
}

/** The fence every write of a partition passes: the row as this instance last read or wrote it. */
const FENCE =
  'group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $4 AND rule_seq = $5 AND epoch = $6';

const fenceOf = (groupId: string, topic: string, partition: number, found: StoredPosition) => [
  groupId,
  topic,
  partition,
  found.nextOffset,
  found.ruleSeq,
  found.epoch,
];

/** What a run decided that is stored at once: its unlocks, and what became of the redrives it read. */
export interface Decisions {
  topic: string;
  partition: number;
  found: StoredPosition;
  /** The offset after the run's last record. */
  decidedOffset: string;
  unlocked: AchievementUnlocked[];
  /**
   * Progress of clients a checkpoint could not store, tried here and rolled back: PostgreSQL refusing it makes
   * the run fail as a record's content does, so the record that makes it unstorable is found and set aside.
   */
  probe: ReadonlyMap<string, StoredProgress>;
  /** The catalog the run ran under: its rules' budgets. */
  catalog: Catalog;
  /** The records announcing unlocks, once their budgets have decided what each is given. */
  announce: (unlocked: BudgetedUnlock[]) => UnlockOutput[];
  redrives?: RedriveOutcomes;
}

/**
 * Stores a run's unlocks (after their rules' budgets) with their outbox records, and its redrive outcomes, in
 * one transaction that also marks how far the partition's records are decided; throws `StalePartition` if the
 * partition moved since it was read. The progress that led to them waits for the partition's checkpoint: a
 * replay from it derives the same unlocks, with the same ids, which are stored once.
 */
export async function storeDecisions(
  connection: pg.PoolClient,
  groupId: string,
  decisions: Decisions,
  compressWal: boolean,
): Promise<StoredPosition> {
  const { topic, partition, found, decidedOffset } = decisions;
  const begin = compressWal ? `BEGIN; ${COMPRESS_WAL}` : 'BEGIN';
  await transactionOn(
    connection,
    async (client) => {
      const { rows } = await client.query<{ held: boolean }>(
        `UPDATE consumer_offsets
          SET decided_offset = CASE WHEN merge_holds_until > now() THEN decided_offset
                                    ELSE greatest(decided_offset, $7) END
        WHERE ${FENCE}
        RETURNING coalesce(merge_holds_until > now(), false) AS held`,
        [...fenceOf(groupId, topic, partition, found), decidedOffset],
      );
      if (rows.length === 0) throw new StalePartition(topic, partition);
      if (rows[0]!.held) throw new MergeWaiting(topic, partition);
      await writeUnlocks(
        client,
        decisions.announce(await spendBudgets(client, decisions.unlocked, decisions.catalog)),
      );
      if (decisions.probe.size > 0) {
        await client.query('SAVEPOINT probe');
        await writeProgress(client, decisions.probe);
        await client.query('ROLLBACK TO SAVEPOINT probe');
      }
      if (decisions.redrives) await writeRedrives(client, decisions.redrives);
    },
    begin,
  );
  const decided =
    found.decidedOffset !== undefined && BigInt(found.decidedOffset) > BigInt(decidedOffset)
      ? found.decidedOffset
      : decidedOffset;
  return { ...found, decidedOffset: decided };
}

/** Where a checkpoint leaves one topic's partition, and where it found it (absent: never checkpointed). */
export interface CheckpointPosition {
  topic: string;
  found: StoredPosition | undefined;
  nextOffset: string;
  ruleSeq: number;
}

/** What a partition's checkpoint stores beside its positions: its clients' progress newer than stored, its nudges. */
export interface CheckpointRows {
  progress: ReadonlyMap<string, StoredProgress>;
  nudged: ProgressNudged[];
}

/** Moves one topic's row from where it was found; rule changes it takes go live from the offset it moves to. */
async function movePosition(
  client: pg.PoolClient,
  groupId: string,
  partition: number,
  at: CheckpointPosition,
  segmentSeq: number,
) {
  const { topic, found, nextOffset, ruleSeq } = at;
  const moved = found
    ? await client.query(
        `UPDATE consumer_offsets SET next_offset = $7, rule_seq = $8, segment_seq = $9, updated_at = now()
          WHERE ${FENCE}`,
        [...fenceOf(groupId, topic, partition, found), nextOffset, ruleSeq, segmentSeq],
      )
    : await client.query(
        `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, rule_seq, segment_seq)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [groupId, topic, partition, nextOffset, ruleSeq, segmentSeq],
      );
  if (moved.rowCount === 0) throw new StalePartition(topic, partition);
  const before = found?.ruleSeq ?? 0;
  if (ruleSeq > before) {
    await client.query(
      `INSERT INTO rule_change_positions (seq, group_id, topic, partition, from_offset)
       SELECT seq, $1, $2, $3, $4 FROM rule_changes WHERE seq > $5 AND seq <= $6`,
      [groupId, topic, partition, nextOffset, before, ruleSeq],
    );
  }
}

/**
 * Writes a checkpoint's progress and nudges in its transaction (which does not wait for the WAL to reach the
 * disk: a PostgreSQL crash may lose the last checkpoint, but offsets and progress together, and the partition then
 * replays from the one before; README, "Checkpoints"). The positions go last (`movePositions`), so the
 * partition's row is locked only for the moment before the commit.
 */
export async function writeCheckpointRows(client: pg.PoolClient, rows: CheckpointRows, compressWal: boolean) {
  await client.query(`SET LOCAL synchronous_commit = off${compressWal ? `; ${COMPRESS_WAL}` : ''}`);
  await writeProgress(client, rows.progress);
  await storeNudges(client, rows.nudged);
}

/**
 * Moves each topic's row of the partition from where it was found, fenced; answers where each now stands.
 * Either all of a checkpoint is stored or none, so after a crash the partition replays from the stored offsets
 * onto the stored progress and nothing counts twice or is lost.
 */
export async function movePositions(
  client: pg.PoolClient,
  groupId: string,
  partition: number,
  positions: readonly CheckpointPosition[],
  segmentSeq: number,
): Promise<Map<string, StoredPosition>> {
  for (const at of positions) await movePosition(client, groupId, partition, at, segmentSeq);
  return new Map(
    positions.map(({ topic, found, nextOffset, ruleSeq }) => [
      topic,
      { nextOffset, ruleSeq, epoch: found?.epoch ?? 0, decidedOffset: found?.decidedOffset, segmentSeq },
    ]),
  );
}
