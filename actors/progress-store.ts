import type pg from 'pg';
import { inTransaction } from '../platform/postgres.js';
import { NO_SEGMENTS } from '../rules/audience.js';
import type { Catalog } from '../rules/catalog.js';
import type { ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import type { UnlockOutput } from './unlock-records.js';

export interface StoredProgress {
  version: number;
  progress: ClientProgress;
}

/** Where a partition stands in PostgreSQL: the next offset to process and the rule change it runs under. */
export interface StoredPosition {
  /** Undefined when this group never committed here. */
  nextOffset: string | undefined;
  /** The newest rule change applied to this partition; 0 before any. */
  ruleSeq: number;
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
  unlocks: UnlockOutput[];
  position: PartitionPosition;
}

/** What a client actor starts from: the stored progress (none for a client never seen) and its segments. */
export interface StoredClient {
  stored: StoredProgress | undefined;
  segments: readonly string[];
}

/** Loads many clients' stored progress and segments in one query. */
export async function loadClients(
  db: pg.Pool,
  clientIds: string[],
  catalog: Catalog,
): Promise<Map<string, StoredClient>> {
  const { rows } = await db.query<{
    client_id: string;
    version: string | null;
    progress: ClientProgress | null;
    segments: string[] | null;
  }>(
    `SELECT ids.client_id, p.version, p.progress,
            (SELECT array_agg(segment_id ORDER BY segment_id) FROM segment_members s
              WHERE s.client_id = ids.client_id) AS segments
       FROM unnest($1::text[]) AS ids (client_id) LEFT JOIN client_progress p USING (client_id)`,
    [clientIds],
  );
  return new Map(
    rows.map((row) => [
      row.client_id,
      {
        stored:
          row.progress === null
            ? undefined
            : { version: Number(row.version), progress: upgradeProgress(row.progress, catalog) },
        segments: row.segments ?? NO_SEGMENTS.segments,
      },
    ]),
  );
}

/** The segments each of these clients belongs to (clients of none are absent). */
export async function loadSegments(db: pg.Pool, clientIds: string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ client_id: string; segments: string[] }>(
    `SELECT client_id, array_agg(segment_id ORDER BY segment_id) AS segments FROM segment_members
      WHERE client_id = ANY($1) GROUP BY client_id`,
    [clientIds],
  );
  return new Map(rows.map((row) => [row.client_id, row.segments]));
}

/** Where a partition stands for this group. */
export async function storedPosition(
  db: pg.Pool,
  groupId: string,
  topic: string,
  partition: number,
): Promise<StoredPosition> {
  const { rows } = await db.query<{ next_offset: string; rule_seq: string }>(
    'SELECT next_offset, rule_seq FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3',
    [groupId, topic, partition],
  );
  return { nextOffset: rows[0]?.next_offset, ruleSeq: Number(rows[0]?.rule_seq ?? 0) };
}

/**
 * Moves the partition's stored position from where the run found it to where it leaves it, or throws
 * `StalePartition` if another owner moved it meanwhile. The row lock it takes also orders concurrent commits.
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
            WHERE group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $6 AND rule_seq = $7`,
          [groupId, topic, partition, nextOffset, ruleSeq, found.nextOffset, found.ruleSeq],
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

async function writeProgress(client: pg.PoolClient, progress: Map<string, StoredProgress>) {
  if (progress.size === 0) return;
  const ids = [...progress.keys()];
  const values = [...progress.values()];
  await client.query(
    `INSERT INTO client_progress (client_id, version, progress)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::json[])
     ON CONFLICT (client_id) DO UPDATE
       SET version = EXCLUDED.version, progress = EXCLUDED.progress, updated_at = now()
       WHERE client_progress.version < EXCLUDED.version`,
    [ids, values.map((v) => v.version), values.map((v) => JSON.stringify(v.progress))],
  );
}

/** Stores each unlock once; only those stored now (not seen before) have their records written to the outbox. */
async function writeUnlocks(client: pg.PoolClient, unlocks: UnlockOutput[]) {
  if (unlocks.length === 0) return;
  const { rows } = await client.query<{ unlock_id: string }>(
    `INSERT INTO achievement_unlocks
       (unlock_id, client_id, achievement_id, rule_id, rule_version, points, partner_id, unlocked_at, source_event_id)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[],
                          $8::timestamptz[], $9::text[])
     ON CONFLICT (client_id, achievement_id) DO NOTHING
     RETURNING unlock_id`,
    [
      unlocks.map((u) => u.unlockId),
      unlocks.map((u) => u.unlock.clientId),
      unlocks.map((u) => u.unlock.achievementId),
      unlocks.map((u) => u.unlock.ruleId),
      unlocks.map((u) => u.unlock.ruleVersion),
      unlocks.map((u) => u.unlock.points),
      unlocks.map((u) => u.unlock.partnerId ?? null),
      unlocks.map((u) => u.unlock.unlockedAt),
      unlocks.map((u) => u.unlock.sourceEventId),
    ],
  );
  const stored = new Set(rows.map((row) => row.unlock_id));
  const records = unlocks.filter((u) => stored.has(u.unlockId)).flatMap((u) => u.records);
  if (records.length === 0) return;
  await client.query(
    `INSERT INTO outbox (topic, key, value) SELECT * FROM unnest($1::text[], $2::text[], $3::json[])`,
    [records.map((r) => r.topic), records.map((r) => r.key), records.map((r) => JSON.stringify(r.value))],
  );
}

/**
 * Commits one batch: progress, unlocks with their outbox records, and the partition's next offset, in one
 * transaction. Either all of it is stored or none, so after a crash the batch is replayed from the stored
 * offset onto the stored progress and nothing is counted twice or lost.
 */
export async function commitBatch(db: pg.Pool, groupId: string, effects: BatchEffects) {
  await inTransaction(db, async (client) => {
    await movePosition(client, groupId, effects.position);
    await writeProgress(client, effects.progress);
    await writeUnlocks(client, effects.unlocks);
  });
}
