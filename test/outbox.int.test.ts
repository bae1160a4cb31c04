import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Kafka, logLevel, Partitioners, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publishOutbox, startOutboxPublisher, type OutboxPorts } from '../actors/outbox.js';
import { createTopics } from '../platform/topic-creation.js';
import { eventually, readTopic, topicEnds } from './support/engine.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

/** Fixed so a failure replays; FUZZ_SEED and FUZZ_RUNS change it. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** The refusing topics' limit: a record batch over it is refused whole, a record over it for good. */
const LIMIT = 16_384;
const PARTITIONS = 3;
const SENTINEL = 'sentinel';
const KEYS = ['a', 'b', 'c', 'd', 'e'];

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the outbox publisher on real Kafka and PostgreSQL', () => {
  const kafka = testKafka();
  // Few, quick retries: a send to a topic that does not exist fails within a second instead of after minutes.
  const impatient = new Kafka({
    clientId: uniqueName('outbox'),
    brokers: inject('kafkaBrokers'),
    retry: { retries: 2, initialRetryTime: 100 },
    logLevel: logLevel.NOTHING,
  });
  const producer = impatient.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const admin = impatient.admin();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let ports: OutboxPorts;

  /** The start of each partition of a topic just made. */
  const start = [...Array(PARTITIONS).keys()].map((partition) => ({ partition, offset: '0' }));

  /** A topic of the test's own; `refusing` ones take no record batch over `LIMIT`. */
  async function ownTopic(refusing = false) {
    const topic = uniqueName('out');
    await createTopics(kafka, [
      {
        topic,
        numPartitions: PARTITIONS,
        ...(refusing ? { configEntries: [{ name: 'max.message.bytes', value: String(LIMIT) }] } : {}),
      },
    ]);
    return topic;
  }

  beforeAll(async () => {
    db = await migratedSchema();
    const deadLetterTopic = uniqueName('outbox-dlq');
    await createTopics(kafka, [{ topic: deadLetterTopic, numPartitions: 1 }]);
    await producer.connect();
    await admin.connect();
    ports = { db: db.pool, producer, admin, deadLetterTopic };
  });

  afterAll(async () => {
    await admin.disconnect();
    await producer.disconnect();
    await db?.drop();
  });

  /** Which partition of which topic each of `KEYS` goes to, as the producer's partitioner sends it. */
  async function keyPartitions(topics: string[]) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const partitioner = Partitioners.DefaultPartitioner();
    return (topic: string, key: string) => {
      const partitionMetadata = metadata.find(({ name }) => name === topic)!.partitions;
      return `${topic}/${partitioner({ topic, partitionMetadata, message: { key, value: null } })}`;
    };
  }

  /** Writes an outbox row whose value is `{ key, label, pad }` with `padBytes` of padding; returns its id. */
  const enqueue = async (to: string, key: string, label = key, padBytes = 0) =>
    (
      await db.pool.query<{ id: string }>(
        'INSERT INTO outbox (topic, key, value) VALUES ($1, $2, $3) RETURNING id',
        [to, key, JSON.stringify({ key, label, pad: 'p'.repeat(padBytes) })],
      )
    ).rows[0]!.id;
  const pending = async () =>
    (await db.pool.query<{ key: string }>('SELECT key FROM outbox ORDER BY id')).rows.map((r) => r.key);
  const labelOf = (message: KafkaMessage) =>
    (JSON.parse(message.value!.toString()) as { label: string }).label;

  /** Everything on a topic of the test's own, read up to a sentinel sent now to each partition. */
  async function readAll(topic: string) {
    await producer.send({
      topic,
      messages: [...Array(PARTITIONS).keys()].map((partition) => ({
        partition,
        key: SENTINEL,
        value: JSON.stringify({ label: SENTINEL }),
      })),
    });
    const read = await readTopic(
      kafka,
      topic,
      start,
      () => true,
      (seen) => seen.filter((m) => labelOf(m) === SENTINEL).length === PARTITIONS,
    );
    return read.filter((m) => labelOf(m) !== SENTINEL);
  }

  it('publishes every committed record, in order, and deletes it once the broker has it', async () => {
    const topic = await ownTopic();
    for (const label of ['a0', 'a1', 'a2']) await enqueue(topic, 'a', label);
    expect(await publishOutbox(ports)).toBe(3);
    expect(await pending()).toEqual([]);
    const published = await readAll(topic);
    expect(published.map((m) => [m.key!.toString(), labelOf(m)])).toEqual([
      ['a', 'a0'],
      ['a', 'a1'],
      ['a', 'a2'],
    ]);
  });

  it('keeps the records of a topic it cannot reach, publishes the others once, and the rest later', async () => {
    const missing = uniqueName('missing-topic');
    const topic = await ownTopic();
    await enqueue(topic, 'before');
    await enqueue(missing, 'kept');
    await enqueue(topic, 'after');
    await expect(publishOutbox(ports)).rejects.toThrow();
    expect(await pending()).toEqual(['kept']);

    await createTopics(kafka, [{ topic: missing, numPartitions: 1 }]);
    const publisher = startOutboxPublisher(ports, 200);
    try {
      await eventually(pending, (keys) => keys.length === 0);
    } finally {
      await publisher.stop();
    }
    expect((await readAll(topic)).map(labelOf).sort()).toEqual(['after', 'before']);
  });

  it('sets aside alone a record the broker refuses for good, kept whole; the others are published once', async () => {
    const topic = await ownTopic(true);
    const dlqFrom = await topicEnds(kafka, ports.deadLetterTopic);
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    for (const key of keys) await enqueue(topic, key);
    const poisoned = await enqueue(topic, 'k1', 'poisoned', 100_000);
    for (const key of keys) await enqueue(topic, key, `${key}-again`);

    expect(await publishOutbox(ports)).toBe(12);
    expect(await pending()).toEqual([]);
    const published = (await readAll(topic)).map(labelOf);
    expect(published.sort()).toEqual([...keys, ...keys.map((key) => `${key}-again`)].sort());

    const { rows } = await db.pool.query<{
      partition: number;
      offset: string;
      reason: string;
      error: string;
    }>(`SELECT partition, "offset"::text AS "offset", reason, error FROM dead_letters WHERE topic = $1`, [
      topic,
    ]);
    expect(rows).toEqual([
      {
        partition: expect.any(Number),
        offset: poisoned,
        reason: 'refused',
        error: expect.stringMatching(
          /^the broker refused this record for good \(100\d{3} bytes\): .* \(MESSAGE_TOO_LARGE\)$/,
        ),
      },
    ]);
    const [letter] = await readTopic(
      kafka,
      ports.deadLetterTopic,
      dlqFrom,
      (m) => (JSON.parse(m.value!.toString()) as { topic: string }).topic === topic,
      (seen) => seen.length === 1,
    );
    const kept = await db.pool.query<{ value: Buffer; value_sha256: string }>(
      `SELECT value, value_sha256 FROM dead_letter_records WHERE topic = $1 AND "offset" = $2`,
      [topic, poisoned],
    );
    const original = kept.rows[0]!.value;
    expect(JSON.parse(original.toString())).toMatchObject({ key: 'k1', label: 'poisoned' });
    expect(JSON.parse(letter!.value!.toString())).toMatchObject({
      topic,
      offset: poisoned,
      truncated: true,
      valueBytes: original.length,
      valueSha256: sha256(original),
    });
    expect(kept.rows[0]!.value_sha256).toBe(sha256(original));
  });

  it('publishes records each under the limit but over it together, none twice', async () => {
    const topic = await ownTopic(true);
    const labels = ['m0', 'm1', 'm2', 'm3', 'm4'];
    for (const label of labels) await enqueue(topic, 'same-key', label, 6_000);
    expect(await publishOutbox(ports)).toBe(5);
    expect((await readAll(topic)).map(labelOf)).toEqual(labels);
    expect(await pending()).toEqual([]);
  });

  it('under random mixes of records the broker takes and refuses, publishes each taken one once, in order', async () => {
    console.log(`outbox fuzz: seed ${SEED}, ${RUNS} runs (FUZZ_SEED, FUZZ_RUNS to change)`);
    const topics = [await ownTopic(true), await ownTopic(true)];
    /** The records the broker takes, by label: their outbox id and the partition their key sends them to. */
    const taken = new Map<string, { id: bigint; partition: string }>();
    const partitionOf = await keyPartitions(topics);
    const row = fc.record({
      topic: fc.integer({ min: 0, max: 1 }),
      key: fc.constantFrom(...KEYS),
      // Small; over the limit when a few are sent together; over it alone.
      padBytes: fc.oneof(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 4_000, max: 9_000 }),
        fc.integer({ min: LIMIT, max: 80_000 }),
      ),
    });
    const refused: string[] = [];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 25 }), async (rows) => {
        run += 1;
        for (const [i, { topic, key, padBytes }] of rows.entries()) {
          const label = `r${run}-${i}`;
          const id = await enqueue(topics[topic]!, key, label, padBytes);
          if (padBytes >= LIMIT) refused.push(id);
          else taken.set(label, { id: BigInt(id), partition: partitionOf(topics[topic]!, key) });
        }
        await publishOutbox(ports);
        expect(await pending()).toEqual([]);
        // Set aside: every record over the limit, and no other.
        const { rows: letters } = await db.pool.query<{ offset: string }>(
          `SELECT "offset"::text AS "offset" FROM dead_letters WHERE topic = ANY($1) AND reason = 'refused'
            ORDER BY dead_letters."offset"`,
          [topics],
        );
        expect(letters.map((letter) => letter.offset)).toEqual(refused);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const published = (await Promise.all(topics.map((topic) => readAll(topic)))).flat();
    expect(published.map(labelOf).sort()).toEqual([...taken.keys()].sort());
    // Each partition holds its records in outbox order (a reader sees each partition's records in its order).
    const inPartitions = new Map<string, bigint[]>();
    for (const label of published.map(labelOf)) {
      const { id, partition } = taken.get(label)!;
      inPartitions.set(partition, [...(inPartitions.get(partition) ?? []), id]);
    }
    for (const ids of inPartitions.values()) expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
  }, 300_000);
});
