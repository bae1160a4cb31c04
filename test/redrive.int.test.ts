import { afterAll, describe, expect, it } from 'vitest';
import { postgresDeadLetters } from '../api/dead-letter-store.js';
import { lazyProducer } from '../platform/kafka.js';
import { metrics } from '../platform/metrics.js';
import { createTopics } from '../platform/topic-creation.js';
import {
  eventually,
  ownInputTopics,
  processedThrough,
  startTestProcessor,
  storedProgressOf,
  unlocksOf,
  valueOf,
} from './support/engine.js';
import { purchase } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

const PARTITIONS = 3;
const HOUR_MS = 3_600_000;
const ADMIN = { actorId: 'emp-1', actorRole: 'admin' as const };

describe('redriving dead letters through the engine’s own topic', () => {
  const kafka = testKafka();
  const stops: (() => Promise<unknown>)[] = [];

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('counts a fixed record once however often it is redriven, and notes a record refused again', async () => {
    const db = await migratedSchema();
    stops.push(() => db.drop());
    const inputs = await ownInputTopics(kafka, PARTITIONS);
    const redrive = uniqueName('redrive');
    await createTopics(kafka, [{ topic: redrive, numPartitions: PARTITIONS }]);
    const processor = await startTestProcessor(db.pool, { ...inputs, redrive });
    stops.push(() => processor.stop());
    const producer = lazyProducer(kafka);
    stops.push(() => producer.disconnect());
    const store = postgresDeadLetters(db.pool, producer.get, {
      inputs: [inputs.transactions, inputs.clientEvents],
      redrive,
    });

    // A coffee whose producer's clock ran three days behind: its time is "more than 24 h after" its record.
    const clientId = uniqueName('c');
    const now = Date.now();
    const coffee = purchase({ clientId, categoryId: 5814, time: new Date(now - HOUR_MS).toISOString() });
    const raw = await producer.get();
    await raw.send({
      topic: inputs.transactions,
      messages: [
        { key: clientId, value: JSON.stringify(valueOf(coffee)), timestamp: String(now - 72 * HOUR_MS) },
        { key: clientId, value: '{"id": broken' },
      ],
    });
    const dead = await eventually(
      () => store.overview({ sinceMs: now - HOUR_MS, limit: 10 }),
      (overview) => overview.letters.length === 2,
    );
    const [broken, early] = dead.letters;
    expect([early!.reason, broken!.reason]).toEqual(['impossible-time', 'json']);
    expect(dead.byReason.map(({ reason, count }) => [reason, count]).sort()).toEqual([
      ['impossible-time', 1],
      ['json', 1],
    ]);
    expect(await unlocksOf(db.pool, clientId)).toEqual([]);

    expect(await store.redrive([early!.id, broken!.id], ADMIN, 'producer clock fixed')).toEqual({
      redriven: [early!.id, broken!.id],
      refused: [],
    });
    const answered = await eventually(
      () => store.overview({ sinceMs: now - HOUR_MS, limit: 10 }),
      (overview) => overview.letters.every((letter) => letter.redrive?.status !== 'asked'),
    );
    expect(answered.letters.map((letter) => [letter.id, letter.redrive?.status])).toEqual([
      [broken!.id, 'refused'],
      [early!.id, 'accepted'],
    ]);
    expect(answered.letters[0]!.redrive!.refusal).toMatch(/^not valid JSON/);
    expect(await unlocksOf(db.pool, clientId)).toEqual(['first-purchase']);

    // Asked again through the API's store: refused there. Sent again straight to the topic, twice: skipped.
    expect((await store.redrive([early!.id], ADMIN, 'again')).refused).toEqual([
      { id: early!.id, why: 'the engine already accepted it; it counts once' },
    ]);
    const record = (await store.one(early!.id))!.record;
    const { partition } = early!;
    await raw.send({
      topic: redrive,
      messages: [1, 2].map(() => ({ partition, key: clientId, value: JSON.stringify(record) })),
    });
    // The wrong partition of the redrive topic: its owner does not hold the client, so it is set aside.
    await raw.send({
      topic: redrive,
      messages: [{ partition: (partition + 1) % PARTITIONS, key: clientId, value: JSON.stringify(record) }],
    });
    await processedThrough(db.pool, redrive, 4);
    // Applied by the client's actor once: the first redrive; the repeats never reached it.
    const applied = (await metrics.eventsProcessed.get()).values.find(
      (value) => value.labels.topic === redrive,
    );
    expect(applied?.value).toBe(1);
    const nowIso = new Date().toISOString();
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', nowIso)).toEqual({
      current: 1,
      target: 10,
    });
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM redriven_records');
    expect(Number(rows[0]!.n)).toBe(1);
    const after = await eventually(
      () => store.overview({ sinceMs: now - HOUR_MS, limit: 10 }),
      (overview) => overview.letters.length === 3,
    );
    expect(after.letters[0]).toMatchObject({ topic: redrive, reason: 'other', redrivable: false });
    expect(after.letters[0]!.error).toMatch(/goes to partition \d of the redrive topic/);
    expect(await unlocksOf(db.pool, clientId)).toEqual(['first-purchase']);
  });
});
