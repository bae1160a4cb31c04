import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RebuildRefused, resetForRebuild } from '../platform/rebuild.js';
import { bankHistory } from './support/bank-history.js';
import {
  eventually,
  ownInputTopics,
  ownOutputTopics,
  produceEvents,
  startTestProcessor,
  processedToEnds,
} from './support/engine.js';
import { publishedUnlocks } from './support/exact-outcome.js';
import { historyWithAHole } from './support/replays.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('rebuilding the engine’s progress from the log (README, “Rebuilding from the log”)', () => {
  const kafka = testKafka();
  const groupId = uniqueName('group');
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let outputs: Awaited<ReturnType<typeof ownOutputTopics>>;
  let processor: Awaited<ReturnType<typeof startTestProcessor>> | undefined;

  beforeAll(async () => {
    db = await migratedSchema();
    topics = await ownInputTopics(kafka, 3);
    outputs = await ownOutputTopics(kafka);
  });

  afterAll(async () => {
    await processor?.stop();
    await db?.drop();
  });

  /** Every client's progress (its version aside) and every unlock, as the app and the rewards see them. */
  const state = async () => ({
    progress: (
      await db.pool.query<{ client_id: string; progress: unknown }>(
        'SELECT client_id, progress FROM client_progress ORDER BY client_id',
      )
    ).rows,
    unlocks: (
      await db.pool.query<{ unlock_id: string; client_id: string }>(
        `SELECT unlock_id, client_id, achievement_id, rule_id, rule_version, points, unlocked_at, source_event_id
           FROM achievement_unlocks ORDER BY unlock_id`,
      )
    ).rows,
  });

  it('reads the whole history again and arrives at the same progress and unlocks, announcing none twice', async () => {
    const clients = Array.from({ length: 120 }, () => uniqueName('c'));
    await produceEvents(kafka, topics, [
      ...bankHistory(clients, 21),
      ...bankHistory(clients, 22, { from: 20, to: 30 }),
    ]);
    processor = await startTestProcessor(db.pool, topics, groupId, outputs);
    await processedToEnds(db.pool, kafka, topics);
    // A client who earned coffee-lover under an earlier rule, which today's rules would not give them again.
    const veteran = uniqueName('c');
    await db.pool.query(
      `INSERT INTO achievement_unlocks
         (unlock_id, client_id, achievement_id, rule_id, rule_version, points, unlocked_at, source_event_id)
       VALUES (gen_random_uuid(), $1, 'coffee-lover', 'coffee-lover', 1, 100, '2026-10-31T10:00:00Z', 'old-coffee')`,
      [veteran],
    );
    const before = await state();
    expect(before.unlocks.length).toBeGreaterThan(100);

    await expect(resetForRebuild({ db: db.pool, kafka, groupId, topics })).rejects.toThrow(
      /processor\(s\) of group .* are running/,
    );
    await processor.stop();
    const reset = await resetForRebuild({ db: db.pool, kafka, groupId, topics });
    expect(reset).toEqual({
      clients: new Set(before.unlocks.map((u) => u.client_id)).size,
      unlocksKept: before.unlocks.length,
    });
    expect(await db.pool.query('SELECT count(*) AS n FROM consumer_offsets')).toMatchObject({
      rows: [{ n: '0' }],
    });

    processor = await startTestProcessor(db.pool, topics, groupId, outputs);
    await processedToEnds(db.pool, kafka, topics);
    // Unlocked stays unlocked: the veteran's progress starts from their unlock; everyone else's is as it was.
    const after = await state();
    expect(after.progress.find((row) => row.client_id === veteran)?.progress).toMatchObject({
      unlocked: { 'coffee-lover': { at: '2026-10-31T10:00:00.000Z', sourceEventId: 'old-coffee' } },
    });
    expect({ ...after, progress: after.progress.filter((row) => row.client_id !== veteran) }).toEqual(before);
    // Unlocks found again are the same facts: none is announced a second time. Once the outbox has
    // published all it holds, the unlock topic has each unlock the processors found exactly once.
    await eventually(
      async () => (await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]!.n,
      (left) => left === '0',
    );
    const published = await publishedUnlocks(kafka, outputs.unlocked);
    expect(published.repeats).toBe(0);
    const found = before.unlocks.filter((unlock) => unlock.client_id !== veteran);
    expect(published.ids).toEqual(found.map((unlock) => unlock.unlock_id).sort());
  });

  it('refuses, changing nothing, when retention has deleted part of the history', async () => {
    const { topics: holed } = await historyWithAHole(kafka);
    await db.pool.query(
      `INSERT INTO client_progress (client_id, version, progress) VALUES ($1, 1, '{"format": 3}')`,
      [uniqueName('c')],
    );
    const stored = await db.pool.query('SELECT count(*) AS n FROM client_progress');
    const refused = resetForRebuild({ db: db.pool, kafka, groupId: uniqueName('group'), topics: holed });
    await expect(refused).rejects.toBeInstanceOf(RebuildRefused);
    await expect(refused).rejects.toThrow(/no longer hold their whole history/);
    expect((await db.pool.query('SELECT count(*) AS n FROM client_progress')).rows).toEqual(stored.rows);
  });
});
