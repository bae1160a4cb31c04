import { Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processBatch, type BatchContext } from '../actors/batch.js';
import { ClientActors } from '../actors/client-actors.js';
import { CONTRACT_OUTPUTS } from '../actors/unlock-records.js';
import { TOPICS } from '../platform/topics.js';
import { catalog, fetchedBatch, storedProgressOf, valueOf } from './support/engine.js';
import { days, purchase } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('processBatch when its commit fails', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let producer: Producer;
  let actors: ClientActors;

  beforeAll(async () => {
    db = await migratedSchema();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    actors = new ClientActors({ catalog, zone: 'Europe/Kyiv' }, 60_000);
  });

  afterAll(async () => {
    actors?.stopAll();
    await producer?.disconnect();
    await db?.drop();
  });

  it('drops the batch’s actors, so the retried batch counts each event once from the stored progress', async () => {
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const ctx: BatchContext = {
      db: db.pool,
      groupId: uniqueName('group'),
      catalog,
      actors,
      deadLetters: { producer, db: db.pool, topic: TOPICS.deadLetters },
      outputs: CONTRACT_OUTPUTS,
      recordKinds: new Map([[topic, 'transaction']]),
      storedOffsets: new Map(),
    };
    const coffees = days('2026-11-01', 3).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const batch = fetchedBatch(
      topic,
      coffees.map((event) => ({
        key: Buffer.from(clientId),
        value: Buffer.from(JSON.stringify(valueOf(event))),
      })),
      Date.parse('2026-11-04T00:00:00Z'),
    );
    // PostgreSQL not taking the commit, as a server restarting does: the failure is not the records'.
    await db.pool.query(`
      CREATE FUNCTION not_now() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'not now' USING ERRCODE = '57P03'; END $$;
      CREATE TRIGGER not_now BEFORE INSERT ON consumer_offsets FOR EACH ROW EXECUTE FUNCTION not_now();`);
    await expect(processBatch(batch, ctx)).rejects.toThrow('not now');
    expect(actors.missing([clientId])).toEqual([clientId]);

    await db.pool.query('DROP TRIGGER not_now ON consumer_offsets');
    expect(await processBatch(batch, ctx)).toMatchObject({ events: 3, deadLetters: 0 });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-04T12:00:00+02:00')).toEqual({
      current: 3,
      target: 10,
    });
  });
});
