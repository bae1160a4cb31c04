import { createHash } from 'node:crypto';
import { Partitioners, type KafkaMessage, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcessor } from '../actors/processor.js';
import { TOPICS } from '../platform/topics.js';
import {
  eventually,
  ownInputTopics,
  readTopic,
  startTestProcessor,
  storedProgressOf,
  topicEnds,
  valueOf,
  unlocksOf,
} from './support/engine.js';
import { purchase } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

interface DeadLetterValue {
  error: string;
  topic: string;
  partition: number;
  offset: string;
  value: string | null;
  truncated?: boolean;
  valueBytes?: number;
  valueSha256?: string;
}

describe('hostile records on real Kafka and PostgreSQL', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let processor: RunningProcessor;
  let producer: Producer;

  beforeAll(async () => {
    db = await migratedSchema();
    // One partition: every record below shares the partition that a stall would stop.
    topics = await ownInputTopics(kafka, 1);
    processor = await startTestProcessor(db.pool, topics);
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await processor?.stop();
    await db?.drop();
  });

  const unlockedBy = (clientId: string) => unlocksOf(db.pool, clientId);
  /** Waits for the client's first unlock: proof that the partition went on past what came before. */
  const firstUnlockOf = (clientId: string) =>
    eventually(
      () => unlockedBy(clientId),
      (ids) => ids.length === 1,
    );

  /** Sends raw records to the transactions topic, each in a produce request of its own, then one good purchase. */
  async function sendThenAGoodPurchase(records: { key: string | Buffer; value: string | Buffer }[]) {
    const from = await topicEnds(kafka, TOPICS.deadLetters);
    for (const record of records) await producer.send({ topic: topics.transactions, messages: [record] });
    const clientId = uniqueName('c');
    const good = purchase({ clientId, time: '2026-11-20T10:00:00+02:00' });
    await producer.send({
      topic: topics.transactions,
      messages: [{ key: clientId, value: JSON.stringify(valueOf(good)) }],
    });
    return { from, clientId };
  }

  const deadLettersFrom = async (from: { partition: number; offset: string }[], count: number) =>
    (
      await readTopic(
        kafka,
        TOPICS.deadLetters,
        from,
        (m: KafkaMessage) =>
          (JSON.parse(m.value!.toString()) as DeadLetterValue).topic === topics.transactions,
        (seen) => seen.length >= count,
      )
    ).map((m) => JSON.parse(m.value!.toString()) as DeadLetterValue);

  it('sets aside records whose ids hold NUL and goes on with the partition', async () => {
    const nul = { ...(valueOf(purchase({ time: '2026-11-20T10:00:00+02:00' })) as object) };
    const { from, clientId } = await sendThenAGoodPurchase([
      { key: 'c-\u0000', value: JSON.stringify({ ...nul, clientId: 'c-\u0000' }) },
      { key: 'c-1', value: JSON.stringify({ ...nul, clientId: 'c-1', id: 'tx-\u0000' }) },
    ]);
    expect(await firstUnlockOf(clientId)).toEqual(['first-purchase']);
    const letters = await deadLettersFrom(from, 2);
    expect(letters.map((letter) => letter.error)).toEqual([
      expect.stringMatching(/^schema: clientId: holds U\+0000/),
      expect.stringMatching(/^schema: id: holds U\+0000/),
    ]);
  });

  it('keeps values too large for a DLQ record in PostgreSQL and names them by size and SHA-256', async () => {
    const quotes = Buffer.from('"'.repeat(600_000));
    const object = Buffer.from(`{"id":"${'x'.repeat(900_000)}`);
    const key = uniqueName('big');
    const { from, clientId } = await sendThenAGoodPurchase([
      { key, value: quotes },
      { key, value: object },
      { key, value: quotes },
    ]);
    expect(await firstUnlockOf(clientId)).toEqual(['first-purchase']);
    const letters = await deadLettersFrom(from, 3);
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(
      letters.map(({ truncated, valueBytes, valueSha256 }) => ({ truncated, valueBytes, valueSha256 })),
    ).toEqual([
      { truncated: true, valueBytes: quotes.length, valueSha256: sha256(quotes) },
      { truncated: true, valueBytes: object.length, valueSha256: sha256(object) },
      { truncated: true, valueBytes: quotes.length, valueSha256: sha256(quotes) },
    ]);
    const { rows } = await db.pool.query<{ offset: string; value: Buffer; value_sha256: string }>(
      `SELECT "offset", value, value_sha256 FROM dead_letter_records WHERE topic = $1 AND key = $2 ORDER BY "offset"`,
      [topics.transactions, Buffer.from(key)],
    );
    expect(rows.map((row) => row.offset)).toEqual(letters.map((letter) => letter.offset));
    expect(rows.map((row) => sha256(row.value))).toEqual(rows.map((row) => row.value_sha256));
  });

  it('sets aside alone a record PostgreSQL refuses after every check passed; its batch-mates count', async () => {
    // A trigger stands in for any refusal no validation foresaw: PostgreSQL raises a data exception for the
    // progress of two clients, refused at the partition's checkpoint: one whose purchase unlocked something (its
    // unlock was stored at once), one whose transfer counts for no achievement.
    const poisoned = uniqueName('poisoned');
    const quiet = uniqueName('poisoned');
    await db.pool.query(`
      CREATE FUNCTION refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.client_id IN ('${poisoned}', '${quiet}') THEN RAISE EXCEPTION 'refused' USING ERRCODE = '22000'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poisoned BEFORE INSERT OR UPDATE ON client_progress
        FOR EACH ROW EXECUTE FUNCTION refuse_poisoned();`);
    const clients = [uniqueName('c'), uniqueName('c')];
    const events = [
      purchase({ clientId: clients[0], time: '2026-11-20T10:00:00+02:00', categoryId: 5814 }),
      purchase({ clientId: poisoned, time: '2026-11-20T10:00:00+02:00' }),
      purchase({ clientId: quiet, kind: 'transfer', time: '2026-11-20T10:00:00+02:00' }),
      purchase({ clientId: clients[0], time: '2026-11-21T10:00:00+02:00', categoryId: 5814 }),
      purchase({ clientId: clients[1], time: '2026-11-20T10:00:00+02:00' }),
    ];
    const from = await topicEnds(kafka, TOPICS.deadLetters);
    await producer.send({
      topic: topics.transactions,
      messages: events.map((event) => ({ key: event.clientId, value: JSON.stringify(valueOf(event)) })),
    });
    for (const clientId of clients) {
      expect(await firstUnlockOf(clientId)).toEqual(['first-purchase']);
    }
    // Only these two clients' letters: reading the partition again sends those of earlier records again too.
    const letters = (
      await readTopic(
        kafka,
        TOPICS.deadLetters,
        from,
        (m: KafkaMessage) => [poisoned, quiet].includes(m.key?.toString() ?? ''),
        (seen) => seen.length >= 2,
      )
    ).map((m) => JSON.parse(m.value!.toString()) as DeadLetterValue);
    for (const letter of letters)
      expect(letter.error).toBe('the engine could not store this record: refused (22000)');
    expect(
      letters.map((letter) => (JSON.parse(letter.value!) as { clientId: string }).clientId).sort(),
    ).toEqual([poisoned, quiet].sort());
    // Both coffees of the first client counted, though the batch they came in was split around the refusal.
    await eventually(
      () => storedProgressOf(db.pool, clients[0]!, 'coffee-lover', '2026-11-21T12:00:00+02:00'),
      (progress) => progress.current === 2,
    );
    // The poisoned purchase's unlock was stored at once, before the checkpoint refused the progress it made: it
    // stays (its id is the client's, achievement's and occurrence's, so a redrive of the record stores it once).
    expect(await unlockedBy(poisoned)).toEqual(['first-purchase']);
    expect(await unlockedBy(quiet)).toEqual([]);
  });
});
