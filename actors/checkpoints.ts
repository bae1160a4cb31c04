import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { loadContexts } from '../platform/engine-state.js';
import type { ClientActors } from './client-actors.js';
import type { PartitionLedger } from './partition-ledger.js';
import { storeCheckpoint, type CheckpointPosition } from './progress-store.js';

/** What checkpointing a partition needs of the processor. */
export interface CheckpointTarget {
  db: pg.Pool;
  groupId: string;
  actors: ClientActors;
  /** Tells Kafka where the group stands once PostgreSQL holds it (only a consumer restarting reads it). */
  commitOffsets: (offsets: { topic: string; partition: number; offset: string }[]) => Promise<void>;
}

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

/**
 * Stores a partition's checkpoint (see `storeCheckpoint`), taking the opening's change with it, and marks its
 * clients clean. Kafka is told the new offsets after PostgreSQL holds them, never before, so a consumer starting
 * from Kafka's offsets starts at or before the checkpoint.
 */
export async function checkpoint(target: CheckpointTarget, ledger: PartitionLedger, opening?: Opening) {
  const { partition } = ledger;
  const positions: CheckpointPosition[] = [];
  for (const [topic, position] of ledger.topics) {
    if (opening?.topic === topic)
      positions.push({
        topic,
        found: position.stored,
        nextOffset: opening.nextOffset,
        ruleSeq: opening.ruleSeq,
      });
    else if (position.nextOffset !== undefined)
      positions.push({
        topic,
        found: position.stored,
        nextOffset: position.nextOffset,
        ruleSeq: position.ruleSeq,
      });
  }
  const segmentSeq = opening?.segmentSeq ?? ledger.segmentSeq;
  const progress = target.actors.unstored(partition);
  const stopTimer = metrics.checkpointSeconds.startTimer();
  const stored = await storeCheckpoint(target.db, target.groupId, {
    partition,
    positions,
    segmentSeq,
    progress,
    nudged: ledger.pendingNudges,
    aheadOf: ledger.aheadOf,
  });
  stopTimer();
  metrics.checkpointedClients.inc(progress.size);
  ledger.checkpointed(stored, segmentSeq);
  target.actors.stored(partition, progress);
  await target
    .commitOffsets(positions.map(({ topic, nextOffset }) => ({ topic, partition, offset: nextOffset })))
    .catch((error: unknown) =>
      // A rebalance under way refuses the commit; the next owner reads PostgreSQL's offsets anyway.
      logger('processor').debug({ err: error, partition }, 'offsets not committed to Kafka'),
    );
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
