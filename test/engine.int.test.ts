import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcessor } from '../actors/processor.js';
import { registry } from '../platform/metrics.js';
import { TOPICS } from '../platform/topics.js';
import {
  eventually,
  ownInputTopics,
  produceEvents,
  readTopic,
  startTestProcessor,
  storedProgressOf,
  topicEnds,
  unlocksOf,
  valueOf,
} from './support/engine.js';
import { clientEvent, days, purchase } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('the engine on real Kafka and PostgreSQL', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let processor: RunningProcessor;

  beforeAll(async () => {
    db = await migratedSchema();
    topics = await ownInputTopics(kafka);
    processor = await startTestProcessor(db.pool, topics);
  });

  afterAll(async () => {
    await processor?.stop();
    await db?.drop();
  });

  const unlockedBy = (clientId: string) => unlocksOf(db.pool, clientId);

  it('turns events into unlocks in the database and on the unlocked and push topics', async () => {
    const clientId = uniqueName('c');
    const unlockedFrom = await topicEnds(kafka, TOPICS.unlocked);
    const pushFrom = await topicEnds(kafka, TOPICS.notifications);
    // Two coffees a day for five days: ten in November, and no seven-day streak.
    const coffeeTimes = [...days('2026-11-01', 5, '08:00'), ...days('2026-11-01', 5, '15:00')];
    const coffees = coffeeTimes.map((time) => purchase({ clientId, categoryId: 5814, time }));
    const redelivered = coffees[3]!;
    const synced = clientEvent('contacts.synced', '2026-11-02T10:00:00Z', {}, clientId);
    await produceEvents(kafka, topics, [...coffees.slice(0, 9), redelivered, synced]);

    const afterNine = await eventually(
      () => unlockedBy(clientId),
      (ids) => ids.length === 2,
    );
    expect(afterNine).toEqual(['contacts-synced', 'first-purchase']);

    await produceEvents(kafka, topics, [coffees[9]!]);
    expect(
      await eventually(
        () => unlockedBy(clientId),
        (ids) => ids.length === 3,
      ),
    ).toEqual(['coffee-lover', 'contacts-synced', 'first-purchase']);

    const ofClient = (m: { key: Buffer | null }) => m.key?.toString() === clientId;
    const unlocked = await readTopic(
      kafka,
      TOPICS.unlocked,
      unlockedFrom,
      ofClient,
      (seen) => seen.length >= 3,
    );
    const values = unlocked.map((m) => JSON.parse(m.value!.toString()) as Record<string, unknown>);
    expect(values.map((v) => v.achievementId).sort()).toEqual([
      'coffee-lover',
      'contacts-synced',
      'first-purchase',
    ]);
    expect(values.find((v) => v.achievementId === 'coffee-lover')).toMatchObject({
      clientId,
      points: 100,
      sourceEventId: coffees[9]!.type === 'TransactionReceived' ? coffees[9]!.transaction.id : '',
      unlockId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    const pushes = await readTopic(
      kafka,
      TOPICS.notifications,
      pushFrom,
      ofClient,
      (seen) => seen.length >= 3,
    );
    const coffeePush = pushes
      .map((m) => JSON.parse(m.value!.toString()) as Record<string, unknown>)
      .find((p) => p.achievementId === 'coffee-lover');
    expect(coffeePush).toMatchObject({
      kind: 'achievement.unlocked',
      locale: 'uk',
      deepLink: 'app://achievements/coffee-lover',
    });
    expect(JSON.stringify(coffeePush)).not.toMatch(/https?:/);
    expect(
      await eventually(
        async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')).rows[0]!.n,
        (n) => n === 0,
      ),
    ).toBe(0);
  });

  it('sends malformed records to the DLQ with the reason and keeps processing the partition', async () => {
    const clientId = uniqueName('c');
    const dlqFrom = await topicEnds(kafka, TOPICS.deadLetters);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: topics.transactions,
      messages: [
        { key: clientId, value: '{"id": "broken' },
        { key: clientId, value: JSON.stringify({ id: 'tx-neg', clientId, kind: 'purchase', amount: -5 }) },
      ],
    });
    await producer.disconnect();
    await produceEvents(kafka, topics, [purchase({ clientId, time: '2026-11-24T08:15:00+02:00' })]);

    expect(
      await eventually(
        () => unlockedBy(clientId),
        (ids) => ids.length === 1,
      ),
    ).toEqual(['first-purchase']);
    const letters = await readTopic(
      kafka,
      TOPICS.deadLetters,
      dlqFrom,
      (m) => m.key?.toString() === clientId,
      (seen) => seen.length >= 2,
    );
    const bodies = letters.map((m) => JSON.parse(m.value!.toString()) as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({
      topic: topics.transactions,
      key: clientId,
      value: '{"id": "broken',
      error: expect.stringMatching(/not valid JSON/),
    });
    expect(bodies[1]).toMatchObject({ topic: topics.transactions, error: expect.stringMatching(/amount/) });
    expect(typeof bodies[0]!.partition).toBe('number');
    const dlqMetric = await registry.getSingleMetricAsString('achievements_dlq_records_total');
    expect(dlqMetric).toMatch(new RegExp(`source_topic="${topics.transactions}"\\} [2-9]`));
    expect(BigInt(bodies[1]!.offset as string)).toBe(BigInt(bodies[0]!.offset as string) + 1n);
  });

  it('checkpoints a partition’s progress and its offset together, or neither', async () => {
    const clientId = uniqueName('c');
    // PostgreSQL refusing this client's progress for a while, as a server that cannot take writes yet does.
    await db.pool.query(`
      CREATE FUNCTION hold_${clientId.replace('-', '_')}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.client_id = '${clientId}' THEN RAISE EXCEPTION 'not yet' USING ERRCODE = '57P03'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER hold BEFORE INSERT OR UPDATE ON client_progress
        FOR EACH ROW EXECUTE FUNCTION hold_${clientId.replace('-', '_')}();`);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const coffees = days('2026-11-01', 3).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const [sent] = await producer.send({
      topic: topics.transactions,
      messages: coffees.map((event) => ({ key: clientId, value: JSON.stringify(valueOf(event)) })),
    });
    await producer.disconnect();
    const offsetOf = async () =>
      (
        await db.pool.query<{ next_offset: string }>(
          'SELECT next_offset FROM consumer_offsets WHERE topic = $1 AND partition = $2',
          [topics.transactions, sent!.partition],
        )
      ).rows[0]?.next_offset;
    // The checkpoint is refused, in the batch (retried whole) or in the sweep of partitions due.
    const refused = async () =>
      (await registry.getSingleMetricAsString('achievements_batch_retries_total')).includes(
        `topic="${topics.transactions}"`,
      ) ||
      /^achievements_checkpoint_failures_total [1-9]/m.test(
        await registry.getSingleMetricAsString('achievements_checkpoint_failures_total'),
      );
    await eventually(refused, (seen) => seen);
    const held = await offsetOf();
    expect(held === undefined || BigInt(held) <= BigInt(sent!.baseOffset!)).toBe(true);
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-05T12:00:00+02:00')).toEqual({
      current: 0,
      target: 10,
    });

    await db.pool.query('DROP TRIGGER hold ON client_progress');
    await eventually(
      offsetOf,
      (next) => next !== undefined && BigInt(next) >= BigInt(sent!.baseOffset!) + 3n,
    );
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-05T12:00:00+02:00')).toEqual({
      current: 3,
      target: 10,
    });
  });
});
