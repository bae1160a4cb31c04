import type { Batch, KafkaMessage } from 'kafkajs';
import type { DeadLetterSink } from '../platform/dead-letter-sink.js';
import { isRecordFault } from '../platform/failures.js';
import { logger } from '../platform/logger.js';
import type { RecordKind } from '../rules/decode.js';
import { MergeWaiting, StalePartition, storedPositions } from './progress-store.js';
import type { OutputTopics } from '../platform/unlock-records.js';
import type { Catalog } from '../rules/catalog.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import type { RuleFeed } from '../platform/rule-feed.js';
import { applyIsolating, sum } from './runs.js';
import { PartitionLedger, type CheckpointPolicy } from './partition-ledger.js';
import {
  checkpoint,
  checkpointBehind,
  checkpointStored,
  segmentsTaken,
  type CheckpointTarget,
} from './checkpoints.js';
import type { KeyedLock } from './keyed-lock.js';
import { metrics } from '../platform/metrics.js';
import type { SegmentFeed } from './segment-feed.js';

export interface BatchContext extends CheckpointTarget {
  rules: RuleFeed;
  /** The newest segment import; each partition takes it at a checkpoint. */
  segments: SegmentFeed;
  deadLetters: DeadLetterSink;
  outputs: OutputTopics;
  /** Which schema each input topic follows. */
  recordKinds: ReadonlyMap<string, RecordKind>;
  /** Where operations send dead letters back after a fix (CONTRACT §2); none when not read. */
  redriveTopic?: string;
  /** What this instance holds of each partition number it processes, read from PostgreSQL on first use. */
  ledgers: Map<number, PartitionLedger>;
  /**
   * Per partition, the clients whose progress its last checkpoint could not store (PostgreSQL refused it): until
   * one is stored, each run tries theirs as it goes (see `Decisions.probe`).
   */
  suspects: Map<number, ReadonlySet<string>>;
  checkpoints: CheckpointPolicy;
  /**
   * Per partition number, its turns: its batches (of every topic), and a checkpoint's snapshot, run one at a time.
   * A checkpoint is stored outside its turn (see `checkpointBehind`).
   */
  turns: KeyedLock<number>;
  /** Has the consumer fetch a topic's partition from `offset` next. */
  seek: (topic: string, partition: number, offset: string) => void;
}

export interface BatchOutcome {
  events: number;
  deadLetters: number;
  unlocked: AchievementUnlocked[];
  /** The batch was not applied: its partition is fetched again from an earlier offset. */
  sought?: true;
}

const NOTHING: BatchOutcome = { events: 0, deadLetters: 0, unlocked: [] };
const SOUGHT: BatchOutcome = { ...NOTHING, sought: true };

/** A run of one partition's records, the rules in force for them, and the offset after them. */
export interface Run {
  topic: string;
  partition: number;
  records: KafkaMessage[];
  nextOffset: string;
  catalog: Catalog;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** Every topic the processor reads: the same partition number of each carries the same clients. */
const topicsOf = (ctx: BatchContext) => [
  ...ctx.recordKinds.keys(),
  ...(ctx.redriveTopic ? [ctx.redriveTopic] : []),
];

/**
 * Reads where a partition stands in PostgreSQL and has every topic but `except` fetched from there: whatever
 * the consumer fetches from is at or past what this instance's actors now hold, and records past the
 * checkpoint must be applied again.
 */
async function acquire(ctx: BatchContext, partition: number, except?: string): Promise<PartitionLedger> {
  const topics = topicsOf(ctx);
  const stored = await storedPositions(ctx.db, ctx.groupId, topics, partition);
  const ledger = PartitionLedger.fromStored(partition, topics, stored, ctx.segments.newest());
  for (const [topic, position] of stored)
    if (topic !== except) ctx.seek(topic, partition, position.nextOffset);
  ctx.ledgers.set(partition, ledger);
  return ledger;
}

/**
 * Has a partition this instance was just assigned fetched from where it stands: where its actors are when this
 * instance holds it (kept across a rebalance, or past a consumer restart), else where PostgreSQL stored it.
 * kafkajs starts every assignment from Kafka's committed offsets, which can be ahead of both: after the
 * database was restored to an earlier time, or a PostgreSQL crash lost its last checkpoints. A partition quiet
 * past them would never be read again, and one with records would skip those before. A batch fetched before
 * the seek is still compared with the position first (`checked`).
 */
export async function takeAssigned(ctx: BatchContext, partition: number) {
  const held = ctx.ledgers.get(partition);
  if (!held) {
    await acquire(ctx, partition);
    return;
  }
  for (const topic of topicsOf(ctx)) {
    const position = held.position(topic);
    position.checked = false;
    if (position.nextOffset !== undefined) ctx.seek(topic, partition, position.nextOffset);
  }
}

/** Drops what this instance holds of a partition, and has every topic of it fetched again from its checkpoint. */
export async function rewind(ctx: BatchContext, partition: number) {
  const held = ctx.ledgers.get(partition);
  if (held) await checkpointStored(held);
  ctx.ledgers.delete(partition);
  ctx.actors.releasePartitions((other) => other !== partition);
  await acquire(ctx, partition);
}

/**
 * The rules for a topic's next run, and the changes the partition takes before it: any rule change or segment
 * import newer than what its records are decided under, once no replay could have to decide a record before
 * this run as live processing did under the older ones; and a topic's first position. Each is taken with a
 * checkpoint at the run's first offset, where a replay then takes it too.
 */
async function openRun(ctx: BatchContext, ledger: PartitionLedger, topic: string, firstOffset: string) {
  const position = ledger.position(topic);
  let book = ctx.rules.book();
  // Another instance applied a change here that this one has not read yet: read it before going on.
  if (book.latestSeq < position.ruleSeq) book = await ctx.rules.refresh();
  const ruleSeq = ledger.mayTakeRuleChanges(topic)
    ? Math.max(book.latestSeq, position.ruleSeq)
    : position.ruleSeq;
  const segmentSeq = ledger.mayTakeSegmentChanges()
    ? Math.max(ctx.segments.newest(), ledger.segmentSeq)
    : ledger.segmentSeq;
  if (position.stored === undefined || ruleSeq > position.ruleSeq || segmentSeq > ledger.segmentSeq) {
    const segments =
      segmentSeq > ledger.segmentSeq
        ? await segmentsTaken(ctx, ledger.partition, ledger.segmentSeq, segmentSeq)
        : new Map<string, readonly string[]>();
    await checkpoint(ctx, ledger, {
      topic,
      nextOffset: position.nextOffset ?? firstOffset,
      ruleSeq,
      segmentSeq,
    });
    for (const [clientId, memberships] of segments) ctx.actors.setSegments(clientId, memberships);
  }
  return book.catalogAt(ruleSeq);
}

/**
 * A batch's records as runs, each with the offset after it: one, or two when the topic's records are decided
 * under the checkpoint's changes up to `heldUntil` and the batch goes past it (the second may take newer ones).
 */
function runsOf(records: KafkaMessage[], batch: Batch, heldUntil: string | undefined) {
  const end = (BigInt(batch.lastOffset()) + 1n).toString();
  const cut = heldUntil === undefined ? -1 : records.findIndex((m) => BigInt(m.offset) >= BigInt(heldUntil));
  if (cut <= 0) return records.length > 0 ? [{ records, nextOffset: end }] : [];
  return [
    { records: records.slice(0, cut), nextOffset: heldUntil! },
    { records: records.slice(cut), nextOffset: end },
  ];
}

/**
 * What becomes of a partition whose checkpoint PostgreSQL refused. Refused for what a client's progress holds, it
 * would be refused every time: the partition is read again from its last checkpoint, its clients then suspect, so
 * the record that makes a progress unstorable is set aside (see `suspects`) and the next checkpoint goes in.
 * Written meanwhile by someone else, it is read again from its checkpoint. Anything else is thrown.
 */
async function refused(ctx: BatchContext, partition: number, error: unknown) {
  if (!isRecordFault(error) && !(error instanceof StalePartition)) throw error;
  if (isRecordFault(error)) {
    logger('processor').warn(
      { partition, err: error },
      'checkpoint refused; its clients are tried record by record',
    );
    // A refused checkpoint marked no one stored: its clients are still those unstored. Kept with those of
    // earlier refusals, as a record set aside then is applied again by the replay.
    const suspects = ctx.actors.unstored(partition).keys();
    ctx.suspects.set(partition, new Set([...(ctx.suspects.get(partition) ?? []), ...suspects]));
  }
  await rewind(ctx, partition);
}

/**
 * Checkpoints a partition now (if `due` says so, once the checkpoint being stored is), and waits for it to be
 * stored; the caller holds its turn.
 */
export async function checkpointPartition(
  ctx: BatchContext,
  partition: number,
  due: (ledger: PartitionLedger) => boolean,
): Promise<'stored' | 'not due' | 'rewound'> {
  const ledger = ctx.ledgers.get(partition);
  if (!ledger) return 'not due';
  await checkpointStored(ledger);
  if (!due(ledger)) return 'not due';
  try {
    await checkpoint(ctx, ledger);
    ctx.suspects.delete(partition);
    return 'stored';
  } catch (error) {
    await refused(ctx, partition, error);
    return 'rewound';
  }
}

/**
 * Starts a partition's checkpoint if due, stored while its batches go on; the caller holds its turn. A failure is
 * handled in a later turn, unless the partition was read again meanwhile.
 */
export function checkpointIfDue(ctx: BatchContext, partition: number) {
  const ledger = ctx.ledgers.get(partition);
  if (!ledger?.due(Date.now(), ctx.checkpoints)) return;
  checkpointBehind(ctx, ledger)?.then(
    () => {
      if (ctx.ledgers.get(partition) === ledger) ctx.suspects.delete(partition);
    },
    (error: unknown) => {
      metrics.checkpointFailures.inc();
      void ctx.turns
        .run(partition, async () => {
          if (ctx.ledgers.get(partition) === ledger) await refused(ctx, partition, error);
        })
        .catch((failure: unknown) =>
          logger('processor').warn({ err: failure, partition }, 'checkpoint not stored; trying again'),
        );
    },
  );
}

const dueNow = (ctx: BatchContext) => (ledger: PartitionLedger) => ledger.due(Date.now(), ctx.checkpoints);

/**
 * One partition's batch, exactly once in effect: records the actors already applied are skipped, the rest are
 * applied, and the partition is checkpointed when due. A batch starting past where the partition stands (the
 * consumer fetched from a later offset than the checkpoint) is not applied: the partition is fetched again
 * from the checkpoint. When another writer moved the partition, what this instance held of it is dropped and
 * it is fetched again from its checkpoint.
 */
export async function processBatch(batch: Batch, ctx: BatchContext): Promise<BatchOutcome> {
  const { topic, partition } = batch;
  try {
    const ledger = ctx.ledgers.get(partition) ?? (await acquire(ctx, partition, topic));
    const position = ledger.position(topic);
    const from = position.nextOffset;
    if (!position.checked) {
      position.checked = true;
      const first = batch.messages[0]?.offset;
      if (from !== undefined && first !== undefined && BigInt(first) > BigInt(from)) {
        ctx.seek(topic, partition, from);
        return SOUGHT;
      }
    }
    const records = batch.messages.filter(
      (message) => from === undefined || BigInt(message.offset) >= BigInt(from),
    );
    const kind = topic === ctx.redriveTopic ? 'redrive' : ctx.recordKinds.get(topic);
    if (!kind) throw new Error(`the engine does not read topic ${topic}`);
    let outcome = NOTHING;
    for (const { records: part, nextOffset } of runsOf(records, batch, ledger.heldUntil(topic))) {
      const catalog = await openRun(ctx, ledger, topic, part[0]!.offset);
      outcome = sum(
        outcome,
        await applyIsolating(ctx, ledger, { topic, partition, records: part, nextOffset, catalog }, kind),
      );
    }
    ledger.behindBy(topic, Number(batch.offsetLag()));
    // Each run's unlock write tries a suspect's progress on client_progress (see `suspects`): a checkpoint stored
    // beside it would hold those rows, so while there are suspects the partition waits for its checkpoints.
    if (!ctx.suspects.has(partition)) checkpointIfDue(ctx, partition);
    else if ((await checkpointPartition(ctx, partition, dueNow(ctx))) === 'rewound') return SOUGHT;
    return outcome;
  } catch (error) {
    // A backfill waits for a checkpoint covering every stored unlock: it gets one, and the batch waits its turn.
    if (error instanceof MergeWaiting) {
      if ((await checkpointPartition(ctx, partition, (ledger) => ledger.pending)) === 'rewound')
        return SOUGHT;
      throw error;
    }
    if (!(error instanceof StalePartition)) throw error;
    logger('processor').info(
      { topic, partition, reason: error.message },
      'partition read again from its checkpoint',
    );
    await rewind(ctx, partition);
    return SOUGHT;
  }
}
