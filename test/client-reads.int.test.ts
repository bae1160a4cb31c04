import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresReads, type ClientAchievements } from '../api/client-reads.js';
import { writeProgress, type StoredProgress } from '../platform/engine-state.js';
import { inTransaction } from '../platform/postgres.js';
import { initialProgress } from '../rules/progress.js';
import { catalog } from './support/engine.js';
import { migratedSchema } from './support/stack.js';

/** Progress a checkpoint stored, with the first purchase unlocked by `sourceEventId` when given. */
const checkpointed = (sourceEventId?: string): StoredProgress => ({
  version: 1,
  progress: {
    ...initialProgress(),
    unlocked: sourceEventId ? { 'first-purchase': { at: '2026-11-02T10:00:00.000Z', sourceEventId } } : {},
  },
});

describe("the app's reads of clients' achievements", () => {
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  beforeEach(async () => {
    db = await migratedSchema();
    await inTransaction(db.pool, async (client) => {
      await writeProgress(
        client,
        new Map([
          ['c-checkpointed', checkpointed('tx-checkpointed')],
          ['c-unlocked-since', checkpointed()],
          ['c-unlock-held', checkpointed('tx-held')],
        ]),
      );
      // Unlocks stored at once, before the checkpoint that would store the progress that led to them.
      await client.query(
        `INSERT INTO achievement_unlocks (unlock_id, client_id, achievement_id, rule_id, points, unlocked_at,
                                          source_event_id, occurrence)
         VALUES (gen_random_uuid(), 'c-unlocked-since', 'first-purchase', 'first-purchase', 10,
                 '2026-11-05T09:00:00+02:00', 'tx-since', ''),
                (gen_random_uuid(), 'c-unlocked-since', 'coffee-monthly', 'coffee-monthly', 50,
                 '2026-11-06T09:00:00Z', 'tx-coffee', '2026-11'),
                (gen_random_uuid(), 'c-unlock-held', 'first-purchase', 'first-purchase', 10,
                 '2026-11-02T10:00:00Z', 'tx-held', ''),
                (gen_random_uuid(), 'c-only-unlocks', 'first-purchase', 'first-purchase', 10,
                 '2026-11-07T09:00:00Z', 'tx-only', '')`,
      );
      await client.query(
        `INSERT INTO segment_members (segment_id, client_id)
         VALUES ('vip', 'c-checkpointed'), ('gold', 'c-checkpointed'), ('vip', 'c-segment-only')`,
      );
      await client.query(
        `INSERT INTO budget_spends (unlock_id, rule_id, client_id, achievement_id, occurrence, points, granted,
                                    decided_at)
         VALUES (gen_random_uuid(), 'coffee', 'c-unlocked-since', 'coffee-10', '2026-11', 50, false,
                 '2026-11-03T08:00:00Z'),
                (gen_random_uuid(), 'coffee', 'c-unlocked-since', 'coffee-10', '2026-10', 50, false,
                 '2026-10-03T08:00:00Z'),
                (gen_random_uuid(), 'coffee', 'c-checkpointed', 'coffee-10', '2026-11', 50, true, now())`,
      );
    });
  });
  afterEach(async () => {
    await db.drop();
  });

  const clients = [
    'c-checkpointed',
    'c-unlocked-since',
    'c-unlock-held',
    'c-only-unlocks',
    'c-segment-only',
    'c-unknown',
  ];

  async function oneByOne(reads: ReturnType<typeof postgresReads>) {
    const answers: ClientAchievements[] = [];
    for (const clientId of clients) answers.push(await reads.achievementsOf(clientId));
    return answers;
  }

  it('answers each client their progress with the unlocks stored since, segments and refused unlocks', async () => {
    const answers = await oneByOne(postgresReads(db.pool, () => catalog));
    expect(answers.map(({ progress }) => progress.unlocked['first-purchase'])).toEqual([
      { at: '2026-11-02T10:00:00.000Z', sourceEventId: 'tx-checkpointed' },
      { at: '2026-11-05T07:00:00.000Z', sourceEventId: 'tx-since' },
      { at: '2026-11-02T10:00:00.000Z', sourceEventId: 'tx-held' },
      { at: '2026-11-07T09:00:00.000Z', sourceEventId: 'tx-only' },
      undefined,
      undefined,
    ]);
    expect(answers[1]!.progress.repeats).toEqual({
      'coffee-monthly': {
        times: 1,
        open: [],
        last: { at: '2026-11-06T09:00:00.000Z', sourceEventId: 'tx-coffee', occurrence: '2026-11' },
      },
    });
    expect(answers[5]).toEqual({ progress: initialProgress(), segments: [], refused: [] });
    expect(answers.map(({ segments }) => segments)).toEqual([['gold', 'vip'], [], [], [], ['vip'], []]);
    expect(answers.map(({ refused }) => refused)).toEqual([
      [],
      [
        { achievementId: 'coffee-10', occurrence: '2026-10', refusedAt: '2026-10-03T08:00:00.000Z' },
        { achievementId: 'coffee-10', occurrence: '2026-11', refusedAt: '2026-11-03T08:00:00.000Z' },
      ],
      [],
      [],
      [],
      [],
    ]);
  });

  it('answers clients read at once, in one query, exactly what it answers them read one by one', async () => {
    const reads = postgresReads(db.pool, () => catalog);
    // Each query the pool runs takes a connection from it.
    let queries = 0;
    db.pool.on('acquire', () => (queries += 1));
    const alone = await oneByOne(reads);
    expect(queries).toBe(clients.length);
    const twice = [...clients, ...clients.toReversed()];
    const atOnce = await Promise.all(twice.map((clientId) => reads.achievementsOf(clientId)));
    expect(queries).toBe(clients.length + 1);
    expect(atOnce).toEqual([...alone, ...alone.toReversed()]);
    expect(await Promise.all(clients.map((clientId) => reads.progressOf(clientId)))).toEqual(
      alone.map(({ progress }) => progress),
    );
  });

  it('fails every read of a failed query, and reads again once PostgreSQL answers', async () => {
    const reads = postgresReads(db.pool, () => catalog);
    await db.pool.query('ALTER TABLE budget_spends RENAME TO budget_spends_away');
    const failed = await Promise.allSettled(clients.map((clientId) => reads.achievementsOf(clientId)));
    expect(failed.map(({ status }) => status)).toEqual(clients.map(() => 'rejected'));
    await db.pool.query('ALTER TABLE budget_spends_away RENAME TO budget_spends');
    expect((await reads.achievementsOf('c-segment-only')).segments).toEqual(['vip']);
  });
});
