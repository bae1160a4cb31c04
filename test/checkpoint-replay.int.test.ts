import { describe, expect, it } from 'vitest';
import { processBatch } from '../actors/batch.js';
import { postgresRuleAdmin } from '../api/rule-admin-store.js';
import type { ClientProgress } from '../rules/progress.js';
import { batchContext, batchesOf, batchTestStack, unlocksOf } from './support/engine.js';
import { purchase } from './support/events.js';
import { uniqueName } from './support/stack.js';

const admin = { actorId: 'emp-1', actorRole: 'admin' } as const;

/** Two coffees for members of the gold segment. */
const goldCoffee = {
  id: 'gold-coffee',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5814] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  audience: { segments: ['gold'] },
  levels: [
    {
      achievementId: 'gold-coffee',
      target: 2,
      points: 10,
      title: { en: 'Gold coffee', uk: 'Золота кава', he: 'קפה זהב' },
      description: {
        en: 'Two coffees in a month, for gold clients.',
        uk: 'Дві кави за місяць для золотих клієнтів.',
        he: 'שני קפה בחודש ללקוחות זהב.',
      },
    },
  ],
};

describe('a replay from a checkpoint decides as live processing did', () => {
  const stack = batchTestStack();

  it('across a segment import and a rule change made after the records whose unlocks were stored', async () => {
    const { db, producer, rules } = stack;
    const store = postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => [] });
    const clientId = uniqueName('c');
    expect(await store.create(goldCoffee, admin)).toMatchObject({ ok: true, version: 1 });
    expect(await store.activate('gold-coffee', 1, admin)).toMatchObject({ outcome: 'activated' });
    await store.importSegment('gold', [clientId], false, admin);
    const newestSegmentSeq = async () =>
      Number(
        (await db.pool.query<{ seq: string }>('SELECT max(seq) AS seq FROM segment_changes')).rows[0]!.seq,
      );
    let segmentSeq = await newestSegmentSeq();
    const segments = { newest: () => segmentSeq, stop: () => undefined };
    await rules.refresh();

    const topic = uniqueName('tx');
    const recordKinds = new Map([[topic, 'transaction' as const]]);
    const groupId = uniqueName('group');
    const coffees = ['2026-11-02', '2026-11-03', '2026-11-04'].map((day, i) =>
      purchase({ clientId, id: `coffee-${i}`, categoryId: 5814, time: `${day}T08:00:00+02:00` }),
    );
    const batchOf = batchesOf(topic, coffees, Date.parse('2026-11-05T00:00:00Z'));

    // Live processing decides the first two coffees as a gold member, storing their unlocks at once; its
    // checkpoint is not due yet.
    const processorWith = (events: number) =>
      batchContext({
        db: db.pool,
        producer,
        rules,
        recordKinds,
        groupId,
        segments,
        checkpoints: { intervalMs: 60_000, events },
      });
    const live = processorWith(1_000);
    await processBatch(batchOf(0, 1), live);
    await processBatch(batchOf(1, 2), live);
    expect(await unlocksOf(db.pool, clientId)).toEqual(['first-purchase', 'gold-coffee']);

    // Then, within the interval, the client leaves the segment and the rule is deactivated, and the processor
    // dies before its next checkpoint.
    await store.importSegment('gold', [], true, admin);
    segmentSeq = await newestSegmentSeq();
    expect(await store.deactivate('gold-coffee', admin)).toBe('deactivated');
    await rules.refresh();
    live.actors.stopAll();

    // Its successor replays from the checkpoint: the two coffees under what live processing decided them
    // under, the third under the changes, which the partition takes at its offset.
    const next = processorWith(3);
    expect(await processBatch(batchOf(0, 3), next)).toMatchObject({ events: 3 });
    const { rows } = await db.pool.query<{ progress: ClientProgress }>(
      'SELECT progress FROM client_progress WHERE client_id = $1',
      [clientId],
    );
    expect(rows[0]?.progress.unlocked['gold-coffee']).toMatchObject({ sourceEventId: 'coffee-1' });
    const { rows: positions } = await db.pool.query<{ from_offset: string; segment_seq: string }>(
      `SELECT p.from_offset, o.segment_seq FROM rule_change_positions p
         JOIN rule_changes c USING (seq) JOIN consumer_offsets o USING (group_id, topic, partition)
        WHERE p.group_id = $1 AND c.rule_id = 'gold-coffee' AND c.version IS NULL`,
      [groupId],
    );
    expect(positions).toEqual([{ from_offset: '2', segment_seq: String(segmentSeq) }]);
    expect(await unlocksOf(db.pool, clientId)).toEqual(['first-purchase', 'gold-coffee']);
    next.actors.stopAll();
  });
});
