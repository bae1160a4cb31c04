import type pg from 'pg';
import { inTransaction } from '../platform/postgres.js';
import type { Catalog } from '../rules/catalog.js';
import type { ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import type { UnlockOutput } from './unlock-records.js';

export interface StoredProgress {
  version: number;
  progress: ClientProgress;
}

export interface PartitionPosition {
  topic: string;
  partition: number;
  nextOffset: string;
}

/** What one batch changed: the newest progress per client, new unlocks, and where the partition now stands. */
export interface BatchEffects {
  progress: Map<string, StoredProgress>;
  unlocks: UnlockOutput[];
  position: PartitionPosition;
}

/** Loads the stored progress of many clients in one query (clients never seen are absent). */
export async function loadProgress(
  db: pg.Pool,
  clientIds: string[],
  catalog: Catalog,
): Promise<Map<string, StoredProgress>> {
  const { rows } = await db.query<{ client_id: string; version: string; progress: ClientProgress }>(
    'SELECT client_id, version, progress FROM client_progress WHERE client_id = ANY($1)',
    [clientIds],
  );
  return new Map(
    rows.map((row) => [
      row.client_id,
      { version: Number(row.version), progress: upgradeProgress(row.progress, catalog) },
    ]),
  );
}

/** The next offset to process for a partition, or undefined when this group never committed one here. */
export async function storedOffset(db: pg.Pool, groupId: string, topic: string, partition: number) {
  const { rows } = await db.query<{ next_offset: string }>(
    'SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3',
    [groupId, topic, partition],
  );
  return rows[0]?.next_offset;
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
       (unlock_id, client_id, achievement_id, rule_id, points, partner_id, unlocked_at, source_event_id)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::timestamptz[], $8::text[])
     ON CONFLICT (client_id, achievement_id) DO NOTHING
     RETURNING unlock_id`,
    [
      unlocks.map((u) => u.unlockId),
      unlocks.map((u) => u.unlock.clientId),
      unlocks.map((u) => u.unlock.achievementId),
      unlocks.map((u) => u.unlock.ruleId),
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
    await writeProgress(client, effects.progress);
    await writeUnlocks(client, effects.unlocks);
    const { topic, partition, nextOffset } = effects.position;
    await client.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (group_id, topic, partition) DO UPDATE
         SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()`,
      [groupId, topic, partition, nextOffset],
    );
  });
}
