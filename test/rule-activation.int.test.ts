import { afterAll, describe, expect, it } from 'vitest';
import { postgresRuleAdmin } from '../api/rule-admin-store.js';
import { ownInputTopics, processedThrough, produceEvents, startTestProcessor } from './support/engine.js';
import { purchase } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { taxiRule } from './support/taxi-rule.js';

const CLIENTS = 40;
const WAVES = 6;
const admin = { actorId: 'emp-1', actorRole: 'admin' } as const;

describe('a rule activated while two processors run and the group rebalances', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  const running: Awaited<ReturnType<typeof startTestProcessor>>[] = [];

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop().catch(() => undefined)));
    await db?.drop();
  });

  /** Every record of a topic with its partition and offset, read back from Kafka. */
  async function recordsOf(topic: string, count: number) {
    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    const seen: { partition: number; offset: bigint; clientId: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ partition, message }) => {
          seen.push({ partition, offset: BigInt(message.offset), clientId: message.key!.toString() });
          if (seen.length === count) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    return seen;
  }

  it('applies the version from one recorded offset per partition, the same for every instance', async () => {
    db = await migratedSchema();
    const topics = await ownInputTopics(kafka, 6);
    const groupId = uniqueName('group');
    const store = postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => [] });
    const clientIds = Array.from({ length: CLIENTS }, (_, n) => uniqueName(`c${n}`));
    // One taxi ride per client per wave, all in one calendar week: whoever has three rides the rule saw unlocks.
    // The rule goes live during the last three waves, so whether a client unlocks turns on where exactly.
    const wave = (n: number) =>
      produceEvents(
        kafka,
        topics,
        clientIds.map((clientId) =>
          purchase({
            clientId,
            categoryId: 4121,
            time: `2026-11-16T${String(8 + n).padStart(2, '0')}:00:00+02:00`,
          }),
        ),
      );

    running.push(await startTestProcessor(db.pool, topics, groupId));
    running.push(await startTestProcessor(db.pool, topics, groupId));
    expect(await store.create(taxiRule, admin)).toMatchObject({ ok: true, version: 1 });
    const latestRuleChange = async () =>
      Number((await db.pool.query<{ seq: string }>('SELECT max(seq) AS seq FROM rule_changes')).rows[0]!.seq);
    const bothLiveOwnersRead = async (seq: number) => {
      const live = [running[0]!, running[2]!];
      while (!live.every((p) => p.rules.book().latestSeq >= seq))
        await new Promise((resolve) => setTimeout(resolve, 50));
    };
    for (let n = 0; n < WAVES; n++) {
      if (n === 3) {
        expect(await store.activate('taxi-rider', 1, admin)).toMatchObject({ outcome: 'activated' });
        // The group rebalances while the activation goes live: one instance leaves, another joins later.
        void running[1]!.stop();
      }
      if (n === 4) running.push(await startTestProcessor(db.pool, topics, groupId));
      // Each partition records the version where its owner first decides a record under it, and an owner reads
      // the rule book every second: the last wave waits until both owners have, or a partition whose earlier
      // rides all came before its owner read it would record no offset (seen on a loaded machine).
      if (n === WAVES - 1) await bothLiveOwnersRead(await latestRuleChange());
      await wave(n);
      // Quick waves after the activation: some partitions meet it before their next batch, some after.
      await new Promise((resolve) => setTimeout(resolve, n < 3 ? 500 : 150));
    }
    const total = CLIENTS * WAVES;
    await processedThrough(db.pool, topics.transactions, total, 60_000);

    const { rows: positions } = await db.pool.query<{ partition: number; from_offset: string }>(
      `SELECT p.partition, p.from_offset FROM rule_change_positions p JOIN rule_changes c USING (seq)
        WHERE c.rule_id = 'taxi-rider' AND p.topic = $1`,
      [topics.transactions],
    );
    const from = new Map(positions.map((row) => [row.partition, BigInt(row.from_offset)]));
    expect([...from.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);

    // Expected from the log alone: a client unlocks when three of its rides sit at or after its partition's
    // recorded offset. Any instance applying the version from elsewhere would unlock someone else.
    const ridesSeen = new Map<string, number>();
    for (const record of await recordsOf(topics.transactions, total)) {
      if (record.offset >= from.get(record.partition)!)
        ridesSeen.set(record.clientId, (ridesSeen.get(record.clientId) ?? 0) + 1);
    }
    const expected = clientIds.filter((clientId) => (ridesSeen.get(clientId) ?? 0) >= 3).sort();
    const { rows: unlocked } = await db.pool.query<{ client_id: string }>(
      `SELECT client_id FROM achievement_unlocks WHERE achievement_id = 'taxi-rider' ORDER BY client_id`,
    );
    expect(unlocked.map((row) => row.client_id)).toEqual(expected);
    // The activation fell mid-stream: every client has rides on both sides of it.
    expect(clientIds.every((id) => ridesSeen.has(id) && ridesSeen.get(id)! < WAVES)).toBe(true);
    console.log(`activation mid-stream: ${expected.length} of ${CLIENTS} clients had three rides after it`);
  });
});
