import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { PROGRESS_FORMAT } from '../rules/progress.js';
import { historyFrom } from './history-span.js';
import { inTransaction } from './postgres.js';
import type { InputTopics } from './topics.js';

/** Why a rebuild cannot start now; nothing was changed. */
export class RebuildRefused extends Error {
  constructor(reason: string) {
    super(`rebuild refused: ${reason}`);
    this.name = 'RebuildRefused';
  }
}

export interface RebuildOptions {
  db: pg.Pool;
  kafka: Kafka;
  /** The processors' consumer group, whose stored positions are reset. */
  groupId: string;
  topics: InputTopics;
}

/** What a rebuild reset: the clients whose progress now starts again from their unlocks alone. */
export interface RebuildReset {
  clients: number;
  unlocksKept: number;
}

async function ensureStopped(kafka: Kafka, groupId: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (group && group.members.length > 0)
      throw new RebuildRefused(
        `${group.members.length} processor(s) of group ${groupId} are running; stop every processor first`,
      );
  } finally {
    await admin.disconnect();
  }
}

async function resetKafkaOffsets(kafka: Kafka, groupId: string, topics: InputTopics) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of [topics.transactions, topics.clientEvents])
      await admin.resetOffsets({ groupId, topic, earliest: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Prepares a rebuild of the engine's progress from the input topics' history (README, "Rebuilding from the
 * log"): with every processor stopped and the topics holding their whole history, it forgets every client's
 * progress and the group's stored positions, keeps what was earned (each client's progress starts again from
 * its unlocks: unlocked stays unlocked), and moves the group's Kafka offsets to the start. The processors,
 * started again, then read the whole history under today's rules. It cannot rebuild what lives outside the
 * log: the ledger, rewards and partners' answers, which it leaves as they are (rewards are not asked twice:
 * unlocks keep their ids). Refused, changing nothing, while processors or a backfill run, or when retention
 * has deleted part of the history.
 */
export async function resetForRebuild(options: RebuildOptions): Promise<RebuildReset> {
  const { db, kafka, groupId, topics } = options;
  await ensureStopped(kafka, groupId);
  try {
    await historyFrom(kafka, [topics.transactions, topics.clientEvents], 0);
  } catch (error) {
    throw new RebuildRefused(
      `the input topics no longer hold their whole history: ${(error as Error).message}`,
    );
  }
  const reset = await inTransaction(db, async (client) => {
    const running = await client.query("SELECT 1 FROM replays WHERE status = 'running' LIMIT 1");
    if (running.rowCount)
      throw new RebuildRefused('a dry run or backfill is running; let it end or cancel it');
    await client.query('DELETE FROM rule_change_positions WHERE group_id = $1', [groupId]);
    await client.query('DELETE FROM consumer_offsets WHERE group_id = $1', [groupId]);
    await client.query('DELETE FROM client_progress');
    // The same layout `initialProgress` gives, with the client's unlocks as `decide` records them.
    const seeded = await client.query<{ clients: string; unlocks: string }>(
      `WITH seeded AS (
         INSERT INTO client_progress (client_id, version, progress)
         SELECT client_id, 1, json_build_object(
                  'format', $1::int, 'transactionsHorizonMs', 0, 'eventsHorizonMs', 0, 'rules', '{}'::json,
                  'unlocked', json_object_agg(achievement_id, json_build_object(
                    'at', to_char(unlocked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'sourceEventId', source_event_id)),
                  'refunds', '[]'::json)
           FROM achievement_unlocks GROUP BY client_id
         RETURNING progress)
       SELECT count(*) AS clients,
              coalesce(sum((SELECT count(*) FROM json_object_keys(progress -> 'unlocked'))), 0) AS unlocks
         FROM seeded`,
      [PROGRESS_FORMAT],
    );
    return { clients: Number(seeded.rows[0]!.clients), unlocksKept: Number(seeded.rows[0]!.unlocks) };
  });
  await resetKafkaOffsets(kafka, groupId, topics);
  return reset;
}
