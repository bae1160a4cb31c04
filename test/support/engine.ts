import { Partitioners, type Batch, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import { processBatch, type BatchContext, type BatchOutcome } from '../../actors/batch.js';
import { checkpointStored } from '../../actors/checkpoints.js';
import { ClientActors } from '../../actors/client-actors.js';
import { KeyedLock } from '../../actors/keyed-lock.js';
import type { SegmentFeed } from '../../actors/segment-feed.js';
import type { RecordKind } from '../../rules/decode.js';
import type pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { InputEvent } from '../../rules/events.js';
import { startProcessor } from '../../actors/processor.js';
import type { CheckpointPolicy } from '../../actors/partition-ledger.js';
import type { OutputTopics } from '../../platform/unlock-records.js';
import { TOPICS, type ProcessedTopics } from '../../platform/topics.js';
import { loadCatalog } from '../../platform/catalog-files.js';
import { startDefaultRuleFeed, type RuleFeed } from '../../platform/rule-feed.js';
import { viewOf } from '../../rules/progress-view.js';
import { initialProgress, type ClientProgress } from '../../rules/progress.js';
import { purchase } from './events.js';
import { migratedSchema, testKafka, uniqueName } from './stack.js';
import { createTopics } from '../../platform/topic-creation.js';

export const catalog = loadCatalog();

/** Input topics of a test's own, so its processor reads only its events. */
export async function ownInputTopics(kafka: Kafka, partitions = 3) {
  const topics = { transactions: uniqueName('tx'), clientEvents: uniqueName('events') };
  await createTopics(
    kafka,
    Object.values(topics).map((topic) => ({ topic, numPartitions: partitions })),
  );
  return topics;
}

/** Unlock and push topics of a test's own (one partition each), so it reads only what its engine wrote. */
export async function ownOutputTopics(kafka: Kafka): Promise<OutputTopics> {
  const outputs = { unlocked: uniqueName('unlocked'), notifications: uniqueName('push') };
  await createTopics(
    kafka,
    Object.values(outputs).map((topic) => ({ topic, numPartitions: 1 })),
  );
  return outputs;
}

export function valueOf(event: InputEvent): unknown {
  return event.type === 'TransactionReceived' ? event.transaction : event.event;
}

let lastStamp = 0;

/** A Kafka time, now or just after, before every record produced from now on and after every one so far. */
export async function nextWrittenAt(): Promise<Date> {
  while (Date.now() <= lastStamp) await new Promise((resolve) => setTimeout(resolve, 5));
  return new Date();
}

/**
 * Produces events to the test's topics, keyed by client id as the core bank does. Each record is stamped a
 * millisecond after the one before it (across calls too), so the order the bank wrote them, which replays
 * follow across the two topics, is exactly the order given.
 */
export async function produceEvents(
  kafka: Kafka,
  topics: { transactions: string; clientEvents: string },
  events: InputEvent[],
) {
  // Idempotent: kafkajs sends a request again whole when one of its partitions answers an error (a topic just
  // made may), and without sequence numbers the partitions that had taken it would hold those records twice.
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const first = Math.max(Date.now(), lastStamp + 1);
  lastStamp = first + events.length;
  // By place in the list, not by event: a record delivered twice is stamped at each of its deliveries.
  const stamped = events.map((event, i) => ({ event, timestamp: String(first + i) }));
  const toMessages = (type: InputEvent['type']) =>
    stamped
      .filter(({ event }) => event.type === type)
      .map(({ event, timestamp }) => ({
        key: event.clientId,
        value: JSON.stringify(valueOf(event)),
        timestamp,
      }));
  const transactions = toMessages('TransactionReceived');
  const clientEvents = toMessages('ClientEventReceived');
  // In requests the broker takes (message.max.bytes), one after another so each partition keeps the order.
  const CHUNK = 5_000;
  for (let from = 0; from < Math.max(transactions.length, clientEvents.length); from += CHUNK) {
    await producer.sendBatch({
      topicMessages: [
        { topic: topics.transactions, messages: transactions.slice(from, from + CHUNK) },
        { topic: topics.clientEvents, messages: clientEvents.slice(from, from + CHUNK) },
      ].filter((t) => t.messages.length > 0),
    });
  }
  await producer.disconnect();
}

/**
 * Starts an in-process processor on the test's topics, schema and consumer group, with the default rules
 * seeded in that schema (once) and a rule feed of its own, stopped with it.
 */
export async function startTestProcessor(
  db: pg.Pool,
  topics: ProcessedTopics,
  groupId = uniqueName('group'),
  outputs: OutputTopics = TOPICS,
  kafka = testKafka(),
  checkpoints: CheckpointPolicy = { intervalMs: 250, events: 10_000 },
) {
  const rules = await startDefaultRuleFeed(db);
  const processor = await startProcessor({
    checkpoints,
    outputs,
    deadLetterTopic: TOPICS.deadLetters,
    kafka,
    db,
    rules,
    zone: 'Europe/Kyiv',
    actorIdleMs: 60_000,
    groupId,
    topics,
    partitionsConsumedConcurrently: 3,
  });
  return {
    ...processor,
    rules,
    stop: async () => {
      rules.stop();
      await processor.stop();
    },
  };
}

/** The achievements a client has unlocked, by id. */
export async function unlocksOf(db: pg.Pool, clientId: string): Promise<string[]> {
  const { rows } = await db.query<{ achievement_id: string }>(
    'SELECT achievement_id FROM achievement_unlocks WHERE client_id = $1 ORDER BY achievement_id',
    [clientId],
  );
  return rows.map((row) => row.achievement_id);
}

/**
 * A fetched batch as kafkajs hands it to `eachBatch`: records of partition 0 from offset 0, written to Kafka
 * at `writtenAtMs`. Only what `processBatch` reads of a batch is there.
 */
export function fetchedBatch(
  topic: string,
  records: { key: Buffer | null; value: Buffer | null }[],
  writtenAtMs: number,
): Batch {
  const messages: KafkaMessage[] = records.map((record, i) => ({
    key: record.key,
    value: record.value,
    headers: {},
    offset: String(i),
    timestamp: String(writtenAtMs),
    attributes: 0,
  }));
  const lastOffset = () => String(messages.length - 1);
  // Fetched at the end of the partition: nothing more is waiting in Kafka.
  return { topic, partition: 0, messages, lastOffset, offsetLag: () => '0' } as unknown as Batch;
}

/**
 * What a test of `processBatch` runs on: a schema of its own, a producer for dead letters and the default rule
 * feed, made before its tests and dropped after them.
 */
export function batchTestStack() {
  const kafka = testKafka();
  const stack = {} as { db: Awaited<ReturnType<typeof migratedSchema>>; producer: Producer; rules: RuleFeed };
  beforeAll(async () => {
    stack.db = await migratedSchema();
    stack.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await stack.producer.connect();
    stack.rules = await startDefaultRuleFeed(stack.db.pool);
  });
  afterAll(async () => {
    stack.rules?.stop();
    await stack.producer?.disconnect();
    await stack.db?.drop();
  });
  return stack;
}

/** Where a test's batch context was asked to fetch from again. */
export interface Sought {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * A batch context on a test's schema with actors of its own, checkpointing each partition after every batch
 * unless told otherwise; seeks and Kafka commits are recorded, not sent (no consumer runs).
 */
export function batchContext(options: {
  db: pg.Pool;
  producer: Producer;
  rules: RuleFeed;
  recordKinds: ReadonlyMap<string, RecordKind>;
  groupId?: string;
  actors?: ClientActors;
  checkpoints?: CheckpointPolicy;
  segments?: SegmentFeed;
  deadLetterTopic?: string;
  compressWal?: boolean;
}): BatchContext & { sought: Sought[]; committed: Sought[] } {
  const sought: Sought[] = [];
  const committed: Sought[] = [];
  return {
    db: options.db,
    groupId: options.groupId ?? uniqueName('group'),
    rules: options.rules,
    segments: options.segments ?? { newest: () => 0, stop: () => undefined },
    actors: options.actors ?? new ClientActors('Europe/Kyiv', 60_000),
    deadLetters: {
      producer: options.producer,
      db: options.db,
      topic: options.deadLetterTopic ?? TOPICS.deadLetters,
    },
    outputs: TOPICS,
    recordKinds: options.recordKinds,
    ledgers: new Map(),
    suspects: new Map(),
    checkpoints: options.checkpoints ?? { intervalMs: 0, events: 1 },
    turns: new KeyedLock<number>(),
    positionWrites: new KeyedLock<number>(),
    compressWal: options.compressWal ?? false,
    storingBehind: new Set(),
    seek: (topic, partition, offset) => sought.push({ topic, partition, offset }),
    commitOffsets: (offsets) => {
      committed.push(...offsets);
      return Promise.resolve();
    },
    sought,
    committed,
  };
}

/**
 * A batch through `processBatch` as the processor runs it, in its partition's turn; resolved once the checkpoint it
 * started (stored behind the batches) is stored or refused, and what a refusal sets off in the turns is done.
 */
export async function processed(batch: Batch, ctx: BatchContext): Promise<BatchOutcome> {
  const outcome = await ctx.turns.run(batch.partition, () => processBatch(batch, ctx));
  const ledger = ctx.ledgers.get(batch.partition);
  if (ledger) await checkpointStored(ledger);
  await ctx.turns.run(batch.partition, () => Promise.resolve());
  return outcome;
}

/** Records at offsets from 0 of a topic's partition 0; a batch is those from `from` up to `to`. */
export function batchesOf(topic: string, events: InputEvent[], writtenAt: number) {
  const records = events.map((event) => ({
    key: Buffer.from(event.clientId),
    value: Buffer.from(JSON.stringify(valueOf(event))),
  }));
  return (from: number, to = events.length) => {
    const batch = fetchedBatch(topic, records.slice(0, to), writtenAt);
    return { ...batch, messages: batch.messages.slice(from) };
  };
}

/** How far a client is towards an achievement at `nowIso`, by the progress the engine stored for them. */
export async function storedProgressOf(db: pg.Pool, clientId: string, achievementId: string, nowIso: string) {
  const { rows } = await db.query<{ progress: ClientProgress }>(
    'SELECT progress FROM client_progress WHERE client_id = $1',
    [clientId],
  );
  const progress = rows[0]?.progress ?? initialProgress();
  return viewOf(catalog.achievements.get(achievementId)!, progress, Date.parse(nowIso), 'Europe/Kyiv')
    .progress;
}

/** Waits until the engine has stored, over all partitions of `topic`, offsets adding up to `count` records. */
export function processedThrough(db: pg.Pool, topic: string, count: number, timeoutMs?: number) {
  return eventually(
    async () =>
      Number(
        (
          await db.query<{ n: string }>(
            'SELECT coalesce(sum(next_offset), 0) AS n FROM consumer_offsets WHERE topic = $1',
            [topic],
          )
        ).rows[0]!.n,
      ),
    (n) => n >= count,
    timeoutMs,
  );
}

/** Waits until the engine has stored positions at the end of both input topics, as they are now. */
export async function processedToEnds(
  db: pg.Pool,
  kafka: Kafka,
  topics: { transactions: string; clientEvents: string },
  timeoutMs = 60_000,
) {
  for (const topic of [topics.transactions, topics.clientEvents]) {
    const written = (await topicEnds(kafka, topic)).reduce((sum, end) => sum + Number(end.offset), 0);
    await processedThrough(db, topic, written, timeoutMs);
  }
}

/**
 * Waits until every partition of the transaction topic runs the rule. A processor takes a rule change live on a
 * partition at that partition's next run once its rule feed has read the change, so one unlock of a fresh
 * client proves it live on one partition only: a purchase of a fresh client goes to each partition every round
 * until each has recorded the change.
 */
export async function liveOnEveryPartition(
  db: pg.Pool,
  kafka: Kafka,
  topics: { transactions: string; clientEvents: string },
  ruleId: string,
) {
  const partitions = (await topicEnds(kafka, topics.transactions)).map((end) => end.partition);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await eventually(
      async () => {
        await producer.send({
          topic: topics.transactions,
          messages: partitions.map((partition) => {
            const sentinel = purchase({ clientId: uniqueName('sentinel'), time: new Date().toISOString() });
            return { partition, key: sentinel.clientId, value: JSON.stringify(valueOf(sentinel)) };
          }),
        });
        await processedToEnds(db, kafka, topics);
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(DISTINCT p.partition)::int AS n FROM rule_change_positions p JOIN rule_changes c USING (seq)
            WHERE c.rule_id = $1 AND p.topic = $2`,
          [ruleId, topics.transactions],
        );
        return rows[0]!.n;
      },
      (live) => live === partitions.length,
      60_000,
      1_000,
    );
  } finally {
    await producer.disconnect();
  }
}

/**
 * Polls `probe` every `intervalMs` until it returns a value that passes `done`; fails with the last value after
 * `timeoutMs`.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 100,
) {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await probe();
  }
  return last;
}

/** The end offsets of a topic now, to read only what a test adds after this point. */
export async function topicEnds(kafka: Kafka, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.map(({ partition, offset }) => ({ partition, offset }));
}

/** Reads `topic` from `from` (see topicEnds) until `enough` holds for the records matching `keep`. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  from: { partition: number; offset: string }[],
  keep: (message: KafkaMessage, partition: number) => boolean,
  enough: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${seen.length} records of ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: ({ message, partition }) => {
          if (keep(message, partition)) seen.push(message);
          if (enough(seen)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
      for (const { partition, offset } of from) consumer.seek({ topic, partition, offset });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

export const brokers = () => inject('kafkaBrokers');
