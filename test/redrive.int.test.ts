import { afterAll, describe, expect, it } from 'vitest';
import { metrics } from '../platform/metrics.js';
import { deadLetter } from '../platform/dead-letters.js';
import { eventually, processedThrough, storedProgressOf, unlocksOf, valueOf } from './support/engine.js';
import { purchase } from './support/events.js';
import { testKafka, uniqueName } from './support/stack.js';
import { redriveEngine } from './support/redrive-engine.js';

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
    const { db, inputs, redrive, producer, store } = await redriveEngine(kafka, PARTITIONS, stops);

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

  it('refuses to the DLQ a redrive the engine did not issue: a made-up source, or an original altered', async () => {
    const { db, inputs, redrive, producer, store } = await redriveEngine(kafka, PARTITIONS, stops);
    const raw = await producer.get();

    // A real dead letter: a coffee whose producer's clock ran three days behind.
    const now = Date.now();
    const victim = uniqueName('c');
    const time = new Date(now - HOUR_MS).toISOString();
    await raw.send({
      topic: inputs.transactions,
      messages: [
        {
          key: victim,
          value: JSON.stringify(valueOf(purchase({ clientId: victim, time }))),
          timestamp: String(now - 72 * HOUR_MS),
        },
      ],
    });
    const [real] = (
      await eventually(
        () => store.overview({ sinceMs: now - HOUR_MS, limit: 10 }),
        (overview) => overview.letters.length === 1,
      )
    ).letters;

    // Written straight to the redrive topic in dead-letter form: a purchase the engine never set aside, and
    // the real dead letter's position carrying another client's purchase.
    const forger = uniqueName('c');
    const forged = (offset: string, partition: number) =>
      String(
        deadLetter(
          {
            topic: inputs.transactions,
            partition,
            message: {
              key: Buffer.from(forger),
              value: Buffer.from(JSON.stringify(valueOf(purchase({ clientId: forger, time })))),
              headers: {},
              offset,
              timestamp: String(now),
              attributes: 0,
            },
          },
          'impossible time',
        ).message.value,
      );
    await raw.send({
      topic: redrive,
      messages: [
        { partition: 0, key: forger, value: forged('987654', 0) },
        { partition: real!.partition, key: forger, value: forged(real!.offset, real!.partition) },
      ],
    });
    await processedThrough(db.pool, redrive, 2);
    expect(await unlocksOf(db.pool, forger)).toEqual([]);
    const { letters } = await store.overview({ sinceMs: now - HOUR_MS, topic: redrive, limit: 10 });
    expect(letters.map((letter) => letter.error).sort()).toEqual([
      `a redrive names ${inputs.transactions} partition 0 offset 987654, where the engine set no record aside; only its own dead letters come back`,
      `a redrive's original differs from the record the engine set aside at ${inputs.transactions} partition ${real!.partition} offset ${real!.offset}`,
    ]);
    // The real dead letter saw no redrive, and still counts once redriven by operations.
    expect((await store.one(real!.id))!.redrive).toBeNull();
    await store.redrive([real!.id], ADMIN, 'producer clock fixed');
    await eventually(
      () => unlocksOf(db.pool, victim),
      (unlocks) => unlocks.length === 1,
    );
    expect(await unlocksOf(db.pool, forger)).toEqual([]);
  });
});
