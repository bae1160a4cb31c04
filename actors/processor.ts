import { PartitionAssigners, Partitioners, type Batch, type Consumer, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { retryWithBackoff, RetryBudgetSpent } from '../platform/retry.js';
import type { ProcessedTopics } from '../platform/topics.js';
import { partitionKey, processBatch, type BatchContext, type BatchOutcome } from './batch.js';
import { retryLine } from './batch-retry-log.js';
import { ClientActors } from './client-actors.js';
import { startLagWatch } from './consumer-lag.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { KeyedLock } from './keyed-lock.js';
import { startOutboxPublisher } from './outbox.js';
import type { OutputTopics } from '../platform/unlock-records.js';
import type { RuleFeed } from '../platform/rule-feed.js';
import { startSegmentWatch } from './segment-watch.js';

export interface ProcessorOptions {
  kafka: Kafka;
  db: pg.Pool;
  /** The rule book, kept current; each partition applies its changes at one recorded offset. */
  rules: RuleFeed;
  zone: string;
  /** How long a client actor may sit idle before it is passivated. */
  actorIdleMs: number;
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
 * Joins the consumer group on the input topics and feeds the client actors. Offsets live in PostgreSQL with
 * the progress they produced; Kafka's committed offsets only tell the consumer where to fetch from, and may
 * lag behind (records below the stored offset are skipped).
 */
export async function startProcessor(options: ProcessorOptions): Promise<RunningProcessor> {
  const log = logger('processor');
  const { groupId, topics, deadLetterTopic } = options;
  const producer = options.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    // Co-partitioned first; round robin too, which a group still holding members of an earlier build agrees on.
    partitionAssigners: [coPartitionedAssigner, PartitionAssigners.roundRobin],
    // Smaller fetches than kafkajs's 1 MB keep each batch (and so each commit) short, which bounds the
    // event → unlock latency; measured: p99 459 → 290 ms for 17 % less peak throughput (BENCHMARKS.md).
    maxBytesPerPartition: 262_144,
    ...(options.sessionTimeoutMs
      ? { sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: options.sessionTimeoutMs / 5 }
      : {}),
  });
  const admin = options.kafka.admin();
  const actors = new ClientActors(options.zone, options.actorIdleMs);
  const outbox = startOutboxPublisher({ db: options.db, producer, admin, deadLetterTopic });
  const ctx: BatchContext = {
    db: options.db,
    groupId,
    rules: options.rules,
    actors,
    deadLetters: { producer, db: options.db, topic: deadLetterTopic },
    outputs: options.outputs,
    recordKinds: new Map([
      [topics.transactions, 'transaction'],
      [topics.clientEvents, 'client-event'],
    ]),
    ...(topics.redrive ? { redriveTopic: topics.redrive } : {}),
    positions: new Map(),
  };
  // Both input topics (and the redrive topic) are keyed by client id with equal partition counts, so partition
  // N of each carries the same clients. Their batches take turns: a client's progress is never committed by
  // one topic's batch while another topic's batch, holding some of its effects, has not committed yet.
  const partitionTurns = new KeyedLock<number>();

  let assigned: ReadonlySet<string> = new Set();
  for (const left of [consumer.events.STOP, consumer.events.CRASH])
    consumer.on(left, () => (assigned = new Set()));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) options.onFailure?.(payload.error);
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = new Set(
      Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((p) => partitionKey(topic, p)),
      ),
    );
    // Another instance may now own a revoked partition: drop its clients' actors and every cached offset, so
    // nothing here acts on progress that instance has since moved on.
    const released = actors.releasePartitions((key) => assigned.has(key));
    ctx.positions.clear();
    log.info({ assigned: [...assigned], released }, 'partitions assigned');
  });

  const passivation = setInterval(
    () => {
      actors.passivateIdle();
      metrics.cachedActors.set(actors.size);
    },
    Math.max(1_000, options.actorIdleMs / 2),
  );
  const segments = await startSegmentWatch(options.db, actors);
  const lag = startLagWatch({
    admin,
    groupId,
    assigned: () => assigned,
    intervalMs: options.lagIntervalMs ?? 10_000,
  });
  await producer.connect();
  await admin.connect();
  await consumer.connect();
  await consumer.subscribe({
    topics: [topics.transactions, topics.clientEvents, ...(topics.redrive ? [topics.redrive] : [])],
    fromBeginning: true,
  });
  await consumer.run({
    // Offsets committed to Kafka only tell a restarted consumer where to fetch from; PostgreSQL holds the
    // ones that count, so committing them every few seconds is enough.
    autoCommitInterval: 5_000,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 6,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
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
            // A fence is no failure: the metric (and its alert) count the batches a dependency held back.
            if (level === 'error') metrics.batchRetries.inc({ topic: batch.topic });
          },
        },
      ).catch((error: unknown) => {
        // Past the budget: the batch stays unprocessed, and the process is restarted to try again clean.
        if (!(error instanceof RetryBudgetSpent) || !options.onFailure) throw error;
        options.onFailure(error);
        return undefined;
      });
      if (outcome === undefined) return;
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
      lag.stop();
      segments.stop();
      await consumer.disconnect();
      await outbox.stop();
      await admin.disconnect();
      await producer.disconnect();
      actors.stopAll();
    },
  };
}
