import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDefaultRuleFeed, type RuleFeed } from '../platform/rule-feed.js';
import { ClientActors } from '../actors/client-actors.js';
import { decodeRecord, type RecordKind } from '../rules/decode.js';
import type { InputEvent } from '../rules/events.js';
import { decide } from '../rules/decide.js';
import { initialProgress, type ClientProgress } from '../rules/progress.js';
import { batchContext, catalog, fetchedBatch, processed, readTopic, topicEnds } from './support/engine.js';
import { clientEventRecords, transactionRecords, type FuzzRecord } from './support/record-arbitraries.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { createTopics } from '../platform/topic-creation.js';

/** Fixed so a failure replays; printed so a run with another seed (FUZZ_SEED) can be told apart. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const ZONE = 'Europe/Kyiv';
/** When the fuzzed records were written to Kafka: after every valid time the generator makes, before 2031. */
const WRITTEN_AT = Date.parse('2027-01-02T00:00:00Z');

/** Stands for a run's own tag in generated client ids: as long as the tag, so no record changes size. */
const RUN_TAG = 'XXXXXXXX';

function replaceAll(bytes: Buffer | null, from: string, to: string): Buffer | null {
  if (bytes === null) return null;
  const copy = Buffer.from(bytes);
  for (let at = copy.indexOf(from); at !== -1; at = copy.indexOf(from, at + from.length)) copy.write(to, at);
  return copy;
}

const ofRun = (record: FuzzRecord, tag: string): FuzzRecord => ({
  ...record,
  key: replaceAll(record.key, RUN_TAG, tag),
  value: replaceAll(record.value, RUN_TAG, tag),
});

/** The reference: what the valid records alone leave for each client, by a plain fold of `decide`. */
function expectedProgress(events: InputEvent[]) {
  const byClient = new Map<string, ClientProgress>();
  const unlocked: string[] = [];
  for (const event of events) {
    const decision = decide(byClient.get(event.clientId) ?? initialProgress(), event, catalog, ZONE);
    byClient.set(event.clientId, decision.progress);
    unlocked.push(...decision.unlocked.map((u) => `${u.clientId}/${u.achievementId}/${u.sourceEventId}`));
  }
  return { byClient, unlocked: unlocked.sort() };
}

const decoded = (kind: RecordKind, record: FuzzRecord) => {
  const result = decodeRecord(kind, record.key, record.value, WRITTEN_AT);
  if (!result.ok) throw new Error(`a record labelled valid was refused: ${result.error}`);
  return result.event;
};

describe('processBatch under random and hostile records (fast-check)', () => {
  const kafka = testKafka();
  const deadLetterTopic = uniqueName('fuzz-dlq');
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let producer: Producer;
  let actors: ClientActors;
  let rules: RuleFeed;
  const expectedLetters: { topic: string; offset: string; label: string }[] = [];
  const labels = new Map<string, number>();

  beforeAll(async () => {
    db = await migratedSchema();
    await createTopics(kafka, [{ topic: deadLetterTopic, numPartitions: 1 }]);
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    actors = new ClientActors(ZONE, 60_000);
    rules = await startDefaultRuleFeed(db.pool);
  });

  afterAll(async () => {
    actors?.stopAll();
    rules?.stop();
    await producer?.disconnect();
    await db?.drop();
  });

  it('commits every batch, sets aside exactly the bad records and applies the good ones exactly', async () => {
    console.log(`batch fuzz: seed ${SEED}, ${RUNS} runs (FUZZ_SEED, FUZZ_RUNS to change)`);
    const dlqFrom = await topicEnds(kafka, deadLetterTopic);
    const clients = [0, 1, 2].map((n) => `fz-${RUN_TAG}-${n}`);
    const run = fc.asyncProperty(
      transactionRecords(clients),
      clientEventRecords(clients),
      async (transactionsOfAnyRun, clientEventsOfAnyRun) => {
        // Every run (shrinking replays included) gets clients and topics of its own.
        const tag = randomBytes(4).toString('hex');
        const transactions = transactionsOfAnyRun.map((record) => ofRun(record, tag));
        const clientEvents = clientEventsOfAnyRun.map((record) => ofRun(record, tag));
        const topics = { transaction: `fuzz-tx-${tag}`, 'client-event': `fuzz-ev-${tag}` } as const;
        const ctx = batchContext({
          db: db.pool,
          producer,
          rules,
          actors,
          groupId: 'fuzz',
          deadLetterTopic,
          recordKinds: new Map([
            [topics.transaction, 'transaction'],
            [topics['client-event'], 'client-event'],
          ]),
        });
        const good: InputEvent[] = [];
        for (const [kind, records] of [
          ['transaction', transactions],
          ['client-event', clientEvents],
        ] as const) {
          const outcome = await processed(fetchedBatch(topics[kind], records, WRITTEN_AT), ctx);
          records.forEach((record, offset) => {
            labels.set(record.label, (labels.get(record.label) ?? 0) + 1);
            if (record.valid) good.push(decoded(kind, record));
            else expectedLetters.push({ topic: topics[kind], offset: String(offset), label: record.label });
          });
          expect(outcome.deadLetters).toBe(records.filter((r) => !r.valid).length);
          const { rows } = await db.pool.query<{ next_offset: string }>(
            'SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
            ['fuzz', topics[kind]],
          );
          expect(rows).toEqual([{ next_offset: String(records.length) }]);
        }
        const expected = expectedProgress(good);
        const clients = [...new Set(good.map((event) => event.clientId))];
        const stored = await db.pool.query<{ client_id: string; progress: ClientProgress }>(
          'SELECT client_id, progress FROM client_progress WHERE client_id = ANY($1)',
          [clients],
        );
        const storedByClient = new Map(stored.rows.map((row) => [row.client_id, row.progress]));
        for (const clientId of clients) {
          expect(storedByClient.get(clientId) ?? initialProgress()).toEqual(expected.byClient.get(clientId));
        }
        const unlocks = await db.pool.query<{ u: string }>(
          `SELECT client_id || '/' || achievement_id || '/' || source_event_id AS u
             FROM achievement_unlocks WHERE client_id = ANY($1) ORDER BY 1`,
          [clients],
        );
        expect(unlocks.rows.map((row) => row.u)).toEqual(expected.unlocked);
      },
    );
    await fc.assert(run, { seed: SEED, numRuns: RUNS });

    const letters = await readTopic(
      kafka,
      deadLetterTopic,
      dlqFrom,
      () => true,
      (seen) => seen.length >= expectedLetters.length,
      60_000,
    );
    const seen = letters.map((m) => JSON.parse(m.value!.toString()) as Record<string, unknown>);
    expect(seen.map(({ topic, offset }) => `${String(topic)}@${String(offset)}`).sort()).toEqual(
      expectedLetters.map(({ topic, offset }) => `${topic}@${offset}`).sort(),
    );
    for (const letter of seen) {
      expect(letter).toMatchObject({ partition: 0, error: expect.any(String) });
      expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThan(64 * 1024);
    }
    console.log(
      `batch fuzz: ${[...labels.values()].reduce((a, b) => a + b, 0)} records, ${expectedLetters.length} to the DLQ;`,
      Object.fromEntries([...labels].sort(([a], [b]) => a.localeCompare(b))),
    );
  }, 600_000);
});
