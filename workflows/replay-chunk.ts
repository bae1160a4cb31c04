import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { HistoryReader, type HistoryRecords } from '../platform/history-reader.js';
import { decodeRecord, type RecordKind } from '../rules/decode.js';
import { achievementsReadBy } from '../rules/replay.js';
import type { PartitionProgress } from './replay-contract.js';
import { loadPartitions, progressOf, topicsOf, type PartitionRow, type ReplayJob } from './replay-jobs.js';
import { contextIn, recordKey, type PartitionState, type ReplayStates } from './replay-states.js';

/** The schema of each topic the reader takes, in its order (see `topicsOf`). */
const KINDS: RecordKind[] = ['transaction', 'client-event'];

/** How often a running replay tells PostgreSQL how far it is (for the API). */
const REPORT_MS = 2_000;

export interface ChunkDependencies {
  db: pg.Pool;
  kafka: Kafka;
  states: ReplayStates;
  /** Gives the activity's heartbeats its progress (shown in the Temporal UI's pending activities). */
  heartbeat: (details: unknown) => void;
  /** True once the workflow cancelled the activity (a cancelled or paused replay): it stops at a checkpoint. */
  cancelled: () => boolean;
  /** Counts a backfill's records replayed (`achievements_backfill_progress_total`), in the process that serves it. */
  replayed: (records: number) => void;
}

/** Where a live consumer group stands on each topic of a partition (0 where it has not committed yet). */
export async function livePositions(db: pg.Pool, job: ReplayJob, partition: number): Promise<bigint[]> {
  const { rows } = await db.query<{ topic: string; next_offset: string }>(
    `SELECT topic, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = ANY($2) AND partition = $3`,
    [job.groupId, topicsOf(job), partition],
  );
  return topicsOf(job).map((topic) => BigInt(rows.find((row) => row.topic === topic)?.next_offset ?? 0));
}

/**
 * Applies a run of records to the partition's replay (a record that fails its schema counts for nothing, as
 * it did live), each with what its rule's prerequisites' rules earned on it (see `learnHoldings`), and moves
 * the state's positions past it, only once all of it is applied.
 */
export async function applyRecords(
  deps: Pick<ChunkDependencies, 'states' | 'replayed'>,
  job: ReplayJob,
  state: PartitionState,
  reader: HistoryReader,
  records: HistoryRecords,
) {
  const decoded = records.map(({ stream, record }) => {
    const result = decodeRecord(KINDS[stream]!, record.key, record.value, Number(record.timestamp));
    return result.ok ? result.event : undefined;
  });
  const clientIds = decoded.flatMap((event) => (event ? [event.clientId] : []));
  if (job.rule.audience?.segments) await deps.states.learnContexts(state, clientIds);
  if (achievementsReadBy(job.rule, job.catalog).length > 0)
    await deps.states.learnHoldings(state, job, clientIds);
  const topics = topicsOf(job);
  decoded.forEach((event, i) => {
    const { stream, record } = records[i]!;
    const brought = state.brought.size > 0 ? takeBrought(state, recordKey(stream, record.offset)) : undefined;
    state.replay.apply(event, {
      ...(event ? { client: contextIn(state, event.clientId) } : {}),
      ...(brought ? { brought } : {}),
      source: { topic: topics[stream]!, offset: record.offset },
    });
  });
  state.positions = reader.positions();
  if (job.kind === 'backfill') deps.replayed(records.length);
}

/** The holdings brought on a record, taken from those waiting: each is brought once. */
function takeBrought(state: PartitionState, key: string) {
  const brought = state.brought.get(key);
  if (brought) state.brought.delete(key);
  return brought;
}

/** Where a partition's replay must reach now: a dry run's cut, or where live processing stands (a backfill). */
export async function targetOf(db: pg.Pool, job: ReplayJob, row: PartitionRow): Promise<bigint[]> {
  if (row.until) return row.until;
  const live = await livePositions(db, job, row.partition);
  return live.map((offset, i) => (offset > row.from[i]! ? offset : row.from[i]!));
}

/**
 * Replays one partition for up to a chunk's time or records (to its cut when neither is set): from its
 * checkpoint towards a dry run's cut, or towards where live processing stands for a backfill. A backfill checkpoints what it read; a
 * partition that reached its target is caught up. Repeating a call for a caught-up partition changes nothing.
 */
export async function replayChunk(
  deps: ChunkDependencies,
  job: ReplayJob,
  partition: number,
  chunk: { ms?: number; records?: number },
): Promise<PartitionProgress> {
  const [row] = await loadPartitions(deps.db, job.replayId, partition);
  if (!row) throw new Error(`replay ${job.replayId} has no partition ${partition}`);
  const target = await targetOf(deps.db, job, row);
  if (row.status !== 'replaying') return progressOf(row, target);
  const state = await deps.states.resume(job, row);
  const reader = await HistoryReader.open(deps.kafka, topicsOf(job), partition, state.positions);
  const started = Date.now();
  const startedAt = state.replay.eventsReplayed;
  const chunkDone = () =>
    (chunk.ms !== undefined && Date.now() - started >= chunk.ms) ||
    (chunk.records !== undefined && state.replay.eventsReplayed - startedAt >= chunk.records);
  let reported = started;
  let reached: boolean;
  try {
    reached = await reader.readUntil(
      target,
      async (records) => {
        await applyRecords(deps, job, state, reader, records);
        deps.heartbeat({ partition, eventsReplayed: state.replay.eventsReplayed });
        if (Date.now() - reported < REPORT_MS) return;
        reported = Date.now();
        await reportProgress(deps.db, job.replayId, partition, state.replay.eventsReplayed);
      },
      () => deps.cancelled() || chunkDone(),
      Math.min(5_000, chunk.records ?? 5_000),
    );
  } finally {
    await reader.close();
  }
  if (job.kind === 'backfill') await deps.states.checkpoint(job, row, state, reached);
  else {
    await finishDryRunPartition(deps.db, job, partition, state, reached);
    if (reached) deps.states.forget(job.replayId, partition);
  }
  const [after] = await loadPartitions(deps.db, job.replayId, partition);
  return progressOf(after!, target);
}

async function reportProgress(db: pg.Pool, replayId: string, partition: number, eventsReplayed: number) {
  await db.query(
    `UPDATE replay_partitions SET events_replayed = $3, updated_at = now()
      WHERE replay_id = $1 AND partition = $2`,
    [replayId, partition, eventsReplayed],
  );
}

/** A dry run keeps only its result: what the partition would hold, once it reached its cut. */
async function finishDryRunPartition(
  db: pg.Pool,
  job: ReplayJob,
  partition: number,
  state: PartitionState,
  reached: boolean,
) {
  const summary = state.replay.summary();
  await db.query(
    `UPDATE replay_partitions
        SET events_replayed = $3, clients_touched = $4, summary = $5,
            status = CASE WHEN $6 THEN 'caught-up' ELSE status END, updated_at = now()
      WHERE replay_id = $1 AND partition = $2`,
    [job.replayId, partition, summary.eventsReplayed, summary.clientsTouched, summary, reached],
  );
}
