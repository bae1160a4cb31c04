import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publishOutbox, startOutboxPublisher } from '../actors/outbox.js';
import { eventually, ownInputTopics, readTopic, topicEnds } from './support/engine.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { createTopics } from '../platform/topic-creation.js';

describe('the outbox publisher on real Kafka and PostgreSQL', () => {
  const kafka = testKafka();
  // One attempt per request: a send to a topic that does not exist fails at once instead of after retries.
  const impatient = new Kafka({
    clientId: uniqueName('outbox'),
    brokers: inject('kafkaBrokers'),
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const producer = impatient.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topic: string;

  beforeAll(async () => {
    db = await migratedSchema();
    topic = (await ownInputTopics(kafka, 1)).transactions;
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await db?.drop();
  });

  const enqueue = (to: string, key: string) =>
    db.pool.query('INSERT INTO outbox (topic, key, value) VALUES ($1, $2, $3)', [
      to,
      key,
      JSON.stringify({ key }),
    ]);
  const pending = async () =>
    (await db.pool.query<{ key: string }>('SELECT key FROM outbox')).rows.map((r) => r.key);

  it('publishes every committed record, in order, and deletes it once the broker has it', async () => {
    const from = await topicEnds(kafka, topic);
    for (const key of ['a', 'b', 'c']) await enqueue(topic, key);
    expect(await publishOutbox(db.pool, producer)).toBe(3);
    expect(await pending()).toEqual([]);
    const published = await readTopic(
      kafka,
      topic,
      from,
      () => true,
      (seen) => seen.length >= 3,
    );
    expect(published.map((m) => [m.key!.toString(), m.value!.toString()])).toEqual([
      ['a', '{"key":"a"}'],
      ['b', '{"key":"b"}'],
      ['c', '{"key":"c"}'],
    ]);
  });

  it('keeps the records when the broker does not take them, and publishes them on a later run', async () => {
    const missing = uniqueName('missing-topic');
    await enqueue(missing, 'kept');
    await expect(publishOutbox(db.pool, producer)).rejects.toThrow();
    expect(await pending()).toEqual(['kept']);

    await createTopics(kafka, [{ topic: missing, numPartitions: 1 }]);
    const publisher = startOutboxPublisher(db.pool, producer, 200);
    try {
      await eventually(pending, (keys) => keys.length === 0);
    } finally {
      await publisher.stop();
    }
  });
});
