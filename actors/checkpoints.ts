import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { loadContexts } from '../platform/engine-state.js';
import type { ClientActors } from './client-actors.js';
import type { PartitionLedger, Taken } from './partition-ledger.js';
import { withClient } from '../platform/postgres.js';
import type { StoredProgress } from '../platform/engine-state.js';
import type { KeyedLock } from './keyed-lock.js';
import { movePositions, writeCheckpointRows } from './progress-store.js';

/** What checkpointing a partition needs of the processor. */
export interface CheckpointTarget {
  db: pg.Pool;
  groupId: string;
  actors: ClientActors;
  /** Tells Kafka where the group stands once PostgreSQL holds it (only a consumer restarting reads it). */
  commitOffsets: (offsets: { topic: string; partition: number; offset: string }[]) => Promise<void>;
  /**
   * Per partition number, the writes that move or fence its rows in consumer_offsets, one at a time: a run's
   * unlocks, and a checkpoint's last step.
   */
  positionWrites: KeyedLock<number>;
  /** Whether the processor's write transactions compress their WAL's page images (platform/wal-compression.ts). */
  compressWal: boolean;
  /** The partitions whose checkpoint is being stored behind their batches (see `checkpointBehind`). */
  storingBehind: Set<number>;
}

/**
 * How many partitions' checkpoints a processor stores behind their batches at once. Each holds a connection of the
 * pool (10) for its whole transaction, which the batches' unlock writes and client loads need, and their writes
 * slow the unlock writes' commits: at half the engine's rate, one at a time gave an unlock p99 of 1.1 s and three
 * 1.4 s (2026-12-07). Two keep a processor of a dozen partitions within its interval.
 */
const STORED_BEHIND_AT_ONCE = 2;

/**
 * A change a partition takes at a checkpoint, before the run that is the first decided under it: a topic's first
 * position, a newer rule change, a newer segment import. The replay from any checkpoint then decides each record
 * under the changes live processing decided it under.
 */
export interface Opening {
  topic: string;
  nextOffset: string;
  ruleSeq: number;
  segmentSeq: number;
}

/** A checkpoint as taken in the partition's turn: what it stores, however far the partition goes on meanwhile. */
interface Snapshot {
  partition: number;
  /** Where each topic's row moves to. */
  moves: { topic: string; nextOffset: string; ruleSeq: number }[];
  segmentSeq: number;
  progress: Map<string, StoredProgress>;
  /** What waited in the ledger for this checkpoint. */
  pending: Taken;
}

function snapshot(target: CheckpointTarget, ledger: PartitionLedger, opening?: Opening): Snapshot {
  const moves: Snapshot['moves'] = [];
  for (const [topic, position] of ledger.topics) {
    if (opening?.topic === topic)
      moves.push({ topic, nextOffset: opening.nextOffset, ruleSeq: opening.ruleSeq });
    else if (position.nextOffset !== undefined)
      moves.push({ topic, nextOffset: position.nextOffset, ruleSeq: position.ruleSeq });
  }
  return {
    partition: ledger.partition,
    moves,
    segmentSeq: opening?.segmentSeq ?? ledger.segmentSeq,
    // The actors' states are immutable (`decide` returns new progress), so a snapshot holds them as they are.
    progress: target.actors.unstored(ledger.partition),
    pending: ledger.take(),
  };
}

/**
 * Stores a snapshot in one transaction. Its rows are written while the partition goes on; its last step (moving
 * the positions, fenced by the rows as the ledger holds them then, and the commit) takes its place among the
 * partition's position writes, so no run's unlocks find the row locked or moved under them. Kafka is told the
 * new offsets after PostgreSQL holds them, never before, so a consumer starting from Kafka's offsets starts at or
 * before the checkpoint.
 */
async function store(target: CheckpointTarget, ledger: PartitionLedger, snap: Snapshot) {
  const { partition, segmentSeq, progress, pending } = snap;
  const stopTimer = metrics.checkpointSeconds.startTimer();
  await withClient(target.db, async (client) => {
    try {
      await client.query('BEGIN');
      await writeCheckpointRows(client, { progress, nudged: pending.nudged }, target.compressWal);
      await target.positionWrites.run(partition, async () => {
        const positions = snap.moves.map((move) => ({ ...move, found: ledger.position(move.topic).stored }));
        const stored = await movePositions(client, target.groupId, partition, positions, segmentSeq);
        await client.query('COMMIT');
        ledger.checkpointed(stored, segmentSeq);
      });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
  stopTimer();
  metrics.checkpointedClients.inc(progress.size);
  target.actors.stored(partition, progress);
  await target
    .commitOffsets(snap.moves.map(({ topic, nextOffset }) => ({ topic, partition, offset: nextOffset })))
    .catch((error: unknown) =>
      // A rebalance under way refuses the commit; the next owner reads PostgreSQL's offsets anyway.
      logger('processor').debug({ err: error, partition }, 'offsets not committed to Kafka'),
    );
}

/** Waits for the checkpoint the partition is storing, if any, whatever becomes of it. */
export const checkpointStored = (ledger: PartitionLedger) => ledger.writing?.catch(() => undefined);

/**
 * Checkpoints a partition now, taking the opening's change with it, once the checkpoint it is storing (if any) is
 * stored; the caller holds the partition's turn. What the checkpoint took waits for the next one if it fails.
 */
export async function checkpoint(target: CheckpointTarget, ledger: PartitionLedger, opening?: Opening) {
  while (ledger.writing) await checkpointStored(ledger);
  const snap = snapshot(target, ledger, opening);
  await store(target, ledger, snap).catch((error: unknown) => {
    ledger.putBack(snap.pending);
    throw error;
  });
}

/**
 * Takes a checkpoint of the partition and stores it while the partition goes on: its next batches do not wait for
 * it. The caller holds the partition's turn. None is taken while one of the partition's is being stored, or
 * `STORED_BEHIND_AT_ONCE` are (answers undefined: it is still due); if it fails, what it took waits for the next.
 */
export function checkpointBehind(
  target: CheckpointTarget,
  ledger: PartitionLedger,
): Promise<void> | undefined {
  if (ledger.writing || target.storingBehind.size >= STORED_BEHIND_AT_ONCE) return undefined;
  const snap = snapshot(target, ledger);
  const writing = store(target, ledger, snap).catch((error: unknown) => {
    ledger.putBack(snap.pending);
    throw error;
  });
  ledger.writing = writing;
  target.storingBehind.add(ledger.partition);
  const done = () => {
    ledger.writing = undefined;
    target.storingBehind.delete(ledger.partition);
  };
  writing.then(done, done);
  return writing;
}

/**
 * The segments of the partition's cached clients that imports after `fromSeq` up to `toSeq` changed, read
 * before the checkpoint that takes them (so a failed read leaves the partition as it was).
 */
export async function segmentsTaken(
  target: CheckpointTarget,
  partition: number,
  fromSeq: number,
  toSeq: number,
): Promise<Map<string, readonly string[]>> {
  const { rows } = await target.db.query<{ client_ids: string[] }>(
    'SELECT client_ids FROM segment_changes WHERE seq > $1 AND seq <= $2',
    [fromSeq, toSeq],
  );
  const cached = target.actors.cachedOf(
    partition,
    rows.flatMap((row) => row.client_ids),
  );
  if (cached.length === 0) return new Map();
  const contexts = await loadContexts(target.db, cached, toSeq);
  return new Map(cached.map((clientId) => [clientId, contexts.get(clientId)!.segments]));
}
