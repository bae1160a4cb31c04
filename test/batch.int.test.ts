import { Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processBatch, type BatchContext } from '../actors/batch.js';
import { StalePartition } from '../actors/progress-store.js';
import { startDefaultRuleFeed, type RuleFeed } from '../platform/rule-feed.js';
import { ClientActors } from '../actors/client-actors.js';
import { CONTRACT_OUTPUTS } from '../actors/unlock-records.js';
import { TOPICS } from '../platform/topics.js';
import { fetchedBatch, storedProgressOf, valueOf } from './support/engine.js';
import { days, purchase } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('processBatch when its commit fails', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let producer: Producer;
  let actors: ClientActors;
  let rules: RuleFeed;

  beforeAll(async () => {
    db = await migratedSchema();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    actors = new ClientActors('Europe/Kyiv', 60_000);
    rules = await startDefaultRuleFeed(db.pool);
  });

  afterAll(async () => {
    actors?.stopAll();
    rules?.stop();
    await producer?.disconnect();
    await db?.drop();
  });

  /** A batch context on the test's schema, reading `topic` as transactions, with positions of its own. */
  const contextFor = (
    instance: ClientActors,
    topic: string,
    groupId = uniqueName('group'),
  ): BatchContext => ({
    db: db.pool,
    groupId,
    rules,
    actors: instance,
    deadLetters: { producer, db: db.pool, topic: TOPICS.deadLetters },
    outputs: CONTRACT_OUTPUTS,
    recordKinds: new Map([[topic, 'transaction']]),
    positions: new Map(),
  });

  it('drops the batch’s actors, so the retried batch counts each event once from the stored progress', async () => {
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const ctx = contextFor(actors, topic);
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

  it('refuses to commit over a partition another instance moved on, and applies the batch from where it stands', async () => {
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const coffees = days('2026-11-01', 5).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const records = coffees.map((event) => ({
      key: Buffer.from(clientId),
      value: Buffer.from(JSON.stringify(valueOf(event))),
    }));
    const writtenAt = Date.parse('2026-11-06T00:00:00Z');
    const batchOf = (from: number, to: number) => {
      const batch = fetchedBatch(topic, records.slice(0, to), writtenAt);
      return { ...batch, messages: batch.messages.slice(from) };
    };
    const key = `${topic}:0`;
    const stale = contextFor(new ClientActors('Europe/Kyiv', 60_000), topic, 'fenced');
    const owner = contextFor(new ClientActors('Europe/Kyiv', 60_000), topic, 'fenced');
    // The stale instance read the partition as never started; the owner commits first.
    stale.positions.set(key, { nextOffset: undefined, ruleSeq: 0 });
    expect(await processBatch(batchOf(0, 2), owner)).toMatchObject({ events: 2 });
    await expect(processBatch(batchOf(0, 3), stale)).rejects.toThrow(StalePartition);
    expect(stale.positions.has(key)).toBe(false);
    // Then it read offset 2, and the owner moved on to 3 before it committed.
    stale.positions.set(key, { nextOffset: '2', ruleSeq: (await rules.refresh()).latestSeq });
    expect(await processBatch(batchOf(2, 3), owner)).toMatchObject({ events: 1 });
    await expect(processBatch(batchOf(2, 4), stale)).rejects.toThrow(StalePartition);
    // Retried, it reads where the partition stands and applies only the fourth record.
    expect(await processBatch(batchOf(2, 4), stale)).toMatchObject({ events: 1 });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-06T12:00:00+02:00')).toEqual({
      current: 4,
      target: 10,
    });
    stale.actors.stopAll();
    owner.actors.stopAll();
  });
});
