import { PartitionAssigners, Partitioners, type Batch, type Consumer, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { retryWithBackoff, RetryBudgetSpent } from '../platform/retry.js';
import type { ProcessedTopics } from '../platform/topics.js';
import {
  checkpointIfDue,
  checkpointPartition,
  partitionKey,
  processBatch,
  takeAssigned,
  type BatchContext,
  type BatchOutcome,
} from './batch.js';
import { retryLine } from './batch-retry-log.js';
import { ClientActors } from './client-actors.js';
import { startLagWatch } from './consumer-lag.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { KeyedLock } from './keyed-lock.js';
import { startOutboxPublisher } from './outbox.js';
import type { OutputTopics } from '../platform/unlock-records.js';
import type { RuleFeed } from '../platform/rule-feed.js';
import { startSegmentFeed } from './segment-feed.js';
import { checkpointStored } from './checkpoints.js';
import { mayCompressWal } from '../platform/wal-compression.js';
import type { CheckpointPolicy } from './partition-ledger.js';

export interface ProcessorOptions {
  kafka: Kafka;
  db: pg.Pool;
  /** The rule book, kept current; each partition applies its changes at one recorded offset. */
  rules: RuleFeed;
  zone: string;
  /** How long a clean client actor may sit idle before it is passivated. */
  actorIdleMs: number;
  /** How often each partition's progress and offsets are checkpointed to PostgreSQL. */
  checkpoints: CheckpointPolicy;
  groupId: string;
  /** The input topics and the redrive topic (some tests have none). */
  topics: ProcessedTopics;
  /** The unlock and push topics. */
  outputs: OutputTopics;
  /** Where records the engine cannot accept go. */
  deadLetterTopic: string;
  partitionsConsumedConcurrently?: number;
  /** How long the group waits for a silent member before handing its partitions to others (kafkajs: 30 s). */
  sessionTimeoutMs?: number;
  /** How often consumer lag is measured from the broker (see consumer-lag.ts); 10 s unless set. */
  lagIntervalMs?: number;
  /** How long a batch may go on failing on a dependency before the processor gives up (see `onFailure`). */
  retryBudgetMs?: number;
  /**
   * Told when the processor cannot go on: its consumer crashed and kafkajs will not restart it, or a batch
   * failed past the retry budget. A deployment ends the process (main.ts), to be restarted clean.
   */
  onFailure?: (error: Error) => void;
}

function recordBatch(batch: Batch, outcome: BatchOutcome, cachedActors: number) {
  metrics.eventsProcessed.inc({ topic: batch.topic }, outcome.events);
  if (outcome.deadLetters > 0) metrics.deadLetters.inc({ source_topic: batch.topic }, outcome.deadLetters);
  for (const unlock of outcome.unlocked) metrics.unlocks.inc({ achievement: unlock.achievementId });
  metrics.cachedActors.set(cachedActors);
}

export interface RunningProcessor {
  actors: ClientActors;
  /** The `topic:partition`s the group gave this instance at its last join (none before it, or once it left). */
  assigned: () => ReadonlySet<string>;
  stop: () => Promise<void>;
}

/**
 * Joins the consumer group on the input topics and feeds the client actors, which hold the clients' progress.
 * Unlocks are stored as they are decided; progress and offsets are checkpointed to PostgreSQL per partition (see
 * README, "Checkpoints"), and Kafka's committed offsets follow the checkpoints: a consumer restarting there
 * replays onto the checkpoint's progress what came after it, deriving the same state and the same unlocks.
 */
export async function startProcessor(options: ProcessorOptions): Promise<RunningProcessor> {
  const log = logger('processor');
  const { groupId, topics, deadLetterTopic } = options;
  const producer = options.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    // Co-partitioned first; round robin too, which a group still holding members of an earlier build agrees on.
    partitionAssigners: [coPartitionedAssigner, PartitionAssigners.roundRobin],
    // Smaller fetches than kafkajs's 1 MB keep each batch short, which bounds the event → unlock latency.
    maxBytesPerPartition: 262_144,
    ...(options.sessionTimeoutMs
      ? { sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: options.sessionTimeoutMs / 5 }
      : {}),
  });
  const admin = options.kafka.admin();
  // The lag watch has an admin client of its own: kafkajs keeps one topic metadata per client, and the outbox's
  // read of the unlock topic's metadata (every pass) replaces it with that topic's alone. A lag read it landed in
  // found no partitions and failed ("Cannot destructure property 'partitions'", kafkajs #461), every measure
  // while unlocks flowed.
  const lagAdmin = options.kafka.admin();
  const actors = new ClientActors(options.zone, options.actorIdleMs);
  const outbox = startOutboxPublisher({ db: options.db, producer, admin, deadLetterTopic });
  const segments = await startSegmentFeed(options.db);
  const compressWal = await mayCompressWal(options.db);
  if (!compressWal)
    log.info(
      'the database role may not set wal_compression: checkpoints log whole pages as the server is configured',
    );
  const ctx: BatchContext = {
    db: options.db,
    groupId,
    rules: options.rules,
    segments,
    actors,
    deadLetters: { producer, db: options.db, topic: deadLetterTopic },
    outputs: options.outputs,
    recordKinds: new Map([
      [topics.transactions, 'transaction'],
      [topics.clientEvents, 'client-event'],
    ]),
    ...(topics.redrive ? { redriveTopic: topics.redrive } : {}),
    ledgers: new Map(),
    suspects: new Map(),
    checkpoints: options.checkpoints,
    // Both input topics (and the redrive topic) are keyed by client id with equal partition counts, so partition
    // N of each carries the same clients, held by the same actors: their batches take turns.
    turns: new KeyedLock<number>(),
    positionWrites: new KeyedLock<number>(),
    compressWal,
    storingBehind: new Set(),
    seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
    commitOffsets: (offsets) => consumer.commitOffsets(offsets),
  };
  const partitionTurns = ctx.turns;

  /**
   * Checkpoints a partition in its turn. `force`: whatever it holds that is not stored, waiting until it is (a
   * rebalance, shutdown); else only when due, stored while the partition goes on.
   */
  const checkpointInTurn = (partition: number, force: boolean) =>
    partitionTurns
      .run(partition, async () => {
        if (!force) return checkpointIfDue(ctx, partition);
        await checkpointPartition(ctx, partition, (ledger) => ledger.pending);
      })
      .catch((error: unknown) => {
        metrics.checkpointFailures.inc();
        log.warn({ err: error, partition }, 'checkpoint not stored; trying again');
      });
  // Only partitions that look due wait for their turn: a sweep does not queue behind every long batch.
  const checkpointAll = (force: boolean) =>
    Promise.all(
      [...ctx.ledgers]
        .filter(([, ledger]) =>
          force ? ledger.pending || ledger.writing !== undefined : ledger.due(Date.now(), ctx.checkpoints),
        )
        .map(([partition]) => checkpointInTurn(partition, force)),
    );

  let assigned: ReadonlySet<string> = new Set();
  let ownedPartitions: ReadonlySet<number> = new Set();
  for (const left of [consumer.events.STOP, consumer.events.CRASH])
    consumer.on(left, () => {
      assigned = new Set();
      ownedPartitions = new Set();
    });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) options.onFailure?.(payload.error);
  });
  // The group is about to hand partitions round: store what this instance holds, so the next owner replays little.
  consumer.on(consumer.events.REBALANCING, () => void checkpointAll(true));
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = new Set(
      Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((p) => partitionKey(topic, p)),
      ),
    );
    const owned = new Set(Object.values(payload.memberAssignment).flat());
    ownedPartitions = owned;
    // Another instance now owns a revoked partition: what this one holds of it goes, in the partition's turn
    // (after a checkpoint under way). A partition kept is kept whole; if someone else wrote it meanwhile, its
    // next write here is refused and it is read again from its checkpoint.
    for (const partition of new Set([...ctx.ledgers.keys()]))
      if (!owned.has(partition))
        void partitionTurns.run(partition, async () => {
          const ledger = ctx.ledgers.get(partition);
          if (ledger) await checkpointStored(ledger);
          ctx.ledgers.delete(partition);
          ctx.suspects.delete(partition);
          actors.releasePartitions((other) => other !== partition);
        });
    // Each partition owned is fetched from where it stands, not from Kafka's committed offsets (`takeAssigned`);
    // in its turn, if this instance still owns it by then.
    for (const partition of owned)
      void retryWithBackoff(
        () =>
          partitionTurns.run(partition, async () => {
            if (ownedPartitions.has(partition)) await takeAssigned(ctx, partition);
          }),
        {
          shouldStop: () => !ownedPartitions.has(partition),
          onFailure: (error, attempt) =>
            log.warn({ err: error, partition, attempt }, 'stored position not read yet; trying again'),
        },
      );
    log.info({ assigned: [...assigned] }, 'partitions assigned');
  });

  const passivation = setInterval(
    () => {
      actors.passivateIdle();
      metrics.cachedActors.set(actors.size);
    },
    Math.max(1_000, options.actorIdleMs / 2),
  );
  // Partitions whose records stopped coming are checkpointed too, so the app sees their progress in time.
  const checkpointSweep = setInterval(
    () => void checkpointAll(false),
    Math.max(50, Math.min(1_000, options.checkpoints.intervalMs / 20)),
  );
  const lag = startLagWatch({
    admin: lagAdmin,
    groupId,
    assigned: () => assigned,
    intervalMs: options.lagIntervalMs ?? 10_000,
  });
  await producer.connect();
  await admin.connect();
  await lagAdmin.connect();
  await consumer.connect();
  await consumer.subscribe({
    topics: [topics.transactions, topics.clientEvents, ...(topics.redrive ? [topics.redrive] : [])],
    fromBeginning: true,
  });
  await consumer.run({
    // Kafka is told where the group stands only once a checkpoint holds it (see `checkpoint`).
    autoCommit: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 6,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      // A batch fetched before its partition was sought back is dropped: the consumer fetches from there.
      if (payload.isStale()) return;
      // processBatch sets aside what a record's content breaks, so what it throws is a dependency down (or a
      // deployment fault): the batch is kept and retried here with backoff, and the consumer stays in its group.
      const outcome = await retryWithBackoff(
        () => partitionTurns.run(batch.partition, () => processBatch(batch, ctx)),
        {
          ...(options.retryBudgetMs !== undefined ? { budgetMs: options.retryBudgetMs } : {}),
          shouldStop: () => !payload.isRunning() || payload.isStale(),
          whileWaiting: () => payload.heartbeat(),
          onFailure: (error, attempt, waitMs) => {
            const { level, message, err } = retryLine(error, waitMs);
            log[level]({ err, topic: batch.topic, partition: batch.partition, attempt }, message);
            if (level === 'error') metrics.batchRetries.inc({ topic: batch.topic });
          },
        },
      ).catch((error: unknown) => {
        // Past the budget: the batch stays unprocessed, and the process is restarted to try again clean.
        if (!(error instanceof RetryBudgetSpent) || !options.onFailure) throw error;
        options.onFailure(error);
        return undefined;
      });
      if (outcome === undefined || outcome.sought) return;
      recordBatch(batch, outcome, actors.size);
      payload.resolveOffset(batch.lastOffset());
      await payload.heartbeat();
      if (outcome.unlocked.length > 0) outbox.kick();
    },
  });
  log.info({ groupId, topics }, 'consuming input topics');
  outbox.kick();

  return {
    actors,
    assigned: () => assigned,
    stop: async () => {
      clearInterval(passivation);
      clearInterval(checkpointSweep);
      lag.stop();
      segments.stop();
      await checkpointAll(true);
      await consumer.disconnect();
      await outbox.stop();
      await admin.disconnect();
      await lagAdmin.disconnect();
      await producer.disconnect();
      actors.stopAll();
    },
  };
}
