import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import { loadClients, writeProgress, writeUnlocks, type StoredProgress } from '../platform/engine-state.js';
import { spendBudgets } from '../platform/budget-store.js';
import { HistoryReader } from '../platform/history-reader.js';
import { historyEnds } from '../platform/history-span.js';
import { inTransaction } from '../platform/postgres.js';
import type { RuleFeed } from '../platform/rule-feed.js';
import { unlockIdOf, type UnlockOutput } from '../platform/unlock-records.js';
import { earningKey, mergeReplayed, type LiveEarnings } from '../rules/backfill-merge.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import type { UnlockRecord } from '../rules/progress.js';
import { applyRecords, livePositions, type ChunkDependencies } from './replay-chunk.js';
import { loadPartitions, topicsOf, type ReplayJob } from './replay-jobs.js';
import type { PartitionState } from './replay-states.js';

/** Live processing is held up only for the last records the merge reads: at most about this many. */
const CLOSE_ENOUGH = 2_000;
const PAGE = 1_000;
const NONE: LiveEarnings = { underVersion: new Map(), held: new Set() };

export interface MergeDependencies extends ChunkDependencies {
  rules: RuleFeed;
}

/** What merging one partition did. */
export interface MergeOutcome {
  partition: number;
  eventsReplayed: number;
  clientsTouched: number;
  unlocksFound: number;
  unlocksCorrected: number;
}

const lag = (live: bigint[], at: bigint[]) =>
  live.reduce((sum, offset, i) => sum + (offset > at[i]! ? Number(offset - at[i]!) : 0), 0);

/**
 * Locks where live processing stands on the partition, so no batch commits there until the merge does; a
 * processor holding a batch waits, then finds the epoch moved and reads its clients again. A topic whose
 * partition live processing never committed is given a position only if it holds no record.
 */
async function holdLive(client: pg.PoolClient, deps: MergeDependencies, job: ReplayJob, partition: number) {
  const topics = topicsOf(job);
  const lock = () =>
    client.query<{ topic: string; next_offset: string; decided_offset: string | null }>(
      `SELECT topic, next_offset, decided_offset FROM consumer_offsets
        WHERE group_id = $1 AND topic = ANY($2) AND partition = $3
        ORDER BY topic FOR UPDATE`,
      [job.groupId, topics, partition],
    );
  let { rows } = await lock();
  if (rows.some((row) => row.decided_offset !== null && BigInt(row.decided_offset) > BigInt(row.next_offset)))
    throw new Error(
      `live processing stored unlocks past its checkpoint of partition ${partition}; the merge waits`,
    );
  if (rows.length < topics.length) {
    const ends = (await historyEnds(deps.kafka, topics))[partition]!;
    for (const [i, topic] of topics.entries()) {
      if (rows.some((row) => row.topic === topic)) continue;
      if (ends[i]! > 0n)
        throw new Error(
          `live processing has not read partition ${partition} of ${topic} yet; the merge waits`,
        );
      await client.query(
        `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT DO NOTHING`,
        [job.groupId, topic, partition],
      );
    }
    ({ rows } = await lock());
  }
  return topics.map((topic) => BigInt(rows.find((row) => row.topic === topic)!.next_offset));
}

/** How long a merge's hold on a partition's unlocks lasts unless renewed: a merge that died holds up little. */
const HOLD_MS = 30_000;

/**
 * Waits until the partition's checkpoint covers every unlock live processing stored ahead of it, holding further
 * unlocks back meanwhile (the processor checkpoints and waits): the merge merges into checkpointed progress,
 * and a replay from that checkpoint onto the merge must find nothing live decided past it.
 */
async function awaitCheckpointCovering(deps: MergeDependencies, job: ReplayJob, partition: number) {
  for (;;) {
    const { rows } = await deps.db.query<{ covered: boolean }>(
      `UPDATE consumer_offsets SET merge_holds_until = now() + $4 * interval '1 millisecond'
        WHERE group_id = $1 AND topic = ANY($2) AND partition = $3
        RETURNING decided_offset IS NULL OR decided_offset <= next_offset AS covered`,
      [job.groupId, topicsOf(job), partition, HOLD_MS],
    );
    if (rows.every((row) => row.covered)) return;
    deps.heartbeat({ partition, waitingForCheckpoint: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Refuses to merge a version that is no longer what live processing counts into (deactivated, or replaced). */
async function ensureStillLive(rules: RuleFeed, job: ReplayJob) {
  const live = (await rules.refresh()).active().rules.find((rule) => rule.id === job.rule.id);
  if (live?.progressKey === job.rule.progressKey) return;
  throw ApplicationFailure.nonRetryable(
    `${job.rule.id} v${job.rule.version} is no longer live (${live ? `v${live.version} counts into its own progress` : 'deactivated'}); its backfill stops before merging more`,
    'Superseded',
  );
}

/** What each client holds of the rule's achievements (see `LiveEarnings`). */
async function liveEarnings(client: pg.PoolClient, job: ReplayJob, clientIds: string[]) {
  const { rows } = await client.query<{
    client_id: string;
    achievement_id: string;
    occurrence: string;
    unlocked_at: Date;
    source_event_id: string;
    under_version: boolean;
  }>(
    `SELECT client_id, achievement_id, occurrence, unlocked_at, source_event_id,
            rule_version = $3 AND backfill_replay IS NULL AS under_version
       FROM achievement_unlocks WHERE client_id = ANY($1) AND rule_id = $2`,
    [clientIds, job.rule.id, job.rule.version],
  );
  const earnings = new Map<string, { underVersion: Map<string, UnlockRecord>; held: Set<string> }>();
  for (const row of rows) {
    const key = earningKey(row.achievement_id, row.occurrence === '' ? undefined : row.occurrence);
    const of = earnings.get(row.client_id) ?? { underVersion: new Map(), held: new Set() };
    earnings.set(row.client_id, of);
    of.held.add(key);
    if (row.under_version)
      of.underVersion.set(key, { at: row.unlocked_at.toISOString(), sourceEventId: row.source_event_id });
  }
  return earnings;
}

async function correctUnlocks(client: pg.PoolClient, corrected: AchievementUnlocked[]) {
  if (corrected.length === 0) return;
  await client.query(
    `UPDATE achievement_unlocks u
        SET unlocked_at = c.at, source_event_id = c.source, source_topic = c.topic, source_offset = c.record_offset
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::bigint[])
            AS c (client_id, achievement_id, occurrence, at, source, topic, record_offset)
      WHERE u.client_id = c.client_id AND u.achievement_id = c.achievement_id AND u.occurrence = c.occurrence`,
    [
      corrected.map((u) => u.clientId),
      corrected.map((u) => u.achievementId),
      corrected.map((u) => u.occurrence ?? ''),
      corrected.map((u) => u.unlockedAt),
      corrected.map((u) => u.sourceEventId),
      corrected.map((u) => u.sourceRecord?.topic ?? null),
      corrected.map((u) => u.sourceRecord?.offset ?? null),
    ],
  );
}

/** Merges every client the replay touched into its stored progress and unlocks, page by page. */
async function mergeClients(
  client: pg.PoolClient,
  deps: MergeDependencies,
  job: ReplayJob,
  partition: number,
  state: PartitionState,
) {
  const touched = state.replay.touched();
  const catalog = deps.rules.book().active();
  let unlocksFound = 0;
  let unlocksCorrected = 0;
  for (let i = 0; i < touched.length; i += PAGE) {
    const page = touched.slice(i, i + PAGE);
    const ids = page.map(([clientId]) => clientId);
    const [stored, earned] = await Promise.all([
      loadClients(client, ids, catalog),
      liveEarnings(client, job, ids),
    ]);
    const progress = new Map<string, StoredProgress>();
    const found: AchievementUnlocked[] = [];
    const corrected: AchievementUnlocked[] = [];
    for (const [clientId, replayed] of page) {
      const { stored: live, context } = stored.get(clientId)!;
      // Erased while the replay ran: what it replayed of the client may predate the erasure, so none of it is
      // merged (live processing counts the client's events since).
      if ((context.erasedAtMs ?? 0) > job.requestedAtMs) continue;
      const merged = mergeReplayed(
        clientId,
        live?.progress,
        replayed,
        job.rule,
        earned.get(clientId) ?? NONE,
        state.replay.zone,
      );
      if (merged.progress !== live?.progress)
        progress.set(clientId, { version: (live?.version ?? 0) + 1, progress: merged.progress });
      found.push(...merged.found);
      corrected.push(...merged.corrected);
    }
    await writeProgress(client, progress);
    // Budgets are shared with live processing: taken here, in the order this merge commits what it found.
    const unlocks: UnlockOutput[] = (await spendBudgets(client, found, catalog)).map((unlock) => ({
      unlock,
      unlockId: unlockIdOf(unlock.clientId, unlock.achievementId, unlock.occurrence),
      records: [],
    }));
    await writeUnlocks(client, unlocks, job.replayId);
    await correctUnlocks(client, corrected);
    unlocksFound += unlocks.length;
    unlocksCorrected += corrected.length;
    deps.heartbeat({ partition, clientsMerged: i + page.length, of: touched.length });
  }
  return { clientsTouched: touched.length, unlocksFound, unlocksCorrected };
}

/**
 * Merges a partition's replay into live state where live processing stands: catches up with it, then, holding
 * its commits on the partition, reads the last records, merges every touched client and moves the epoch, all
 * in one transaction, so each record counts once across the replay and live processing. Idempotent.
 */
export async function mergePartition(
  deps: MergeDependencies,
  job: ReplayJob,
  partition: number,
): Promise<MergeOutcome> {
  const [row] = await loadPartitions(deps.db, job.replayId, partition);
  if (!row) throw new Error(`replay ${job.replayId} has no partition ${partition}`);
  if (row.status === 'merged') return row.summary as MergeOutcome;
  const state = await deps.states.resume(job, row);
  const reader = await HistoryReader.open(deps.kafka, topicsOf(job), partition, state.positions);
  const apply = async (records: Parameters<typeof applyRecords>[4]) => {
    await applyRecords(deps, job, state, reader, records);
    deps.heartbeat({ partition, eventsReplayed: state.replay.eventsReplayed });
  };
  try {
    for (;;) {
      const live = await livePositions(deps.db, job, partition);
      if (lag(live, state.positions) <= CLOSE_ENOUGH) break;
      await reader.readUntil(live, apply);
    }
    await awaitCheckpointCovering(deps, job, partition);
    return await inTransaction(deps.db, async (client) => {
      const live = await holdLive(client, deps, job, partition);
      // Another attempt of this activity (one the server gave up on too early) may have merged meanwhile.
      const { rows: mine } = await client.query<{ status: string; summary: MergeOutcome }>(
        'SELECT status, summary FROM replay_partitions WHERE replay_id = $1 AND partition = $2 FOR UPDATE',
        [job.replayId, partition],
      );
      if (mine[0]!.status === 'merged') return mine[0]!.summary;
      await reader.readUntil(live, apply);
      await ensureStillLive(deps.rules, job);
      const merged = await mergeClients(client, deps, job, partition, state);
      const outcome: MergeOutcome = { partition, eventsReplayed: state.replay.eventsReplayed, ...merged };
      await client.query(
        `UPDATE consumer_offsets SET epoch = epoch + 1, merge_holds_until = NULL
          WHERE group_id = $1 AND topic = ANY($2) AND partition = $3`,
        [job.groupId, topicsOf(job), partition],
      );
      await client.query(
        `UPDATE replay_partitions
            SET status = 'merged', transactions_at = $3, events_at = $4, events_replayed = $5,
                clients_touched = $6, summary = $7, updated_at = now()
          WHERE replay_id = $1 AND partition = $2`,
        [
          job.replayId,
          partition,
          String(state.positions[0]),
          String(state.positions[1]),
          outcome.eventsReplayed,
          outcome.clientsTouched,
          outcome,
        ],
      );
      await client.query('DELETE FROM replay_client_state WHERE replay_id = $1 AND partition = $2', [
        job.replayId,
        partition,
      ]);
      return outcome;
    });
  } finally {
    // A merge that failed lets live processing store unlocks again now, not when its hold runs out.
    await deps.db
      .query(
        `UPDATE consumer_offsets SET merge_holds_until = NULL
          WHERE group_id = $1 AND topic = ANY($2) AND partition = $3 AND merge_holds_until IS NOT NULL`,
        [job.groupId, topicsOf(job), partition],
      )
      .catch(() => undefined);
    await reader.close();
    deps.states.forget(job.replayId, partition);
  }
}
