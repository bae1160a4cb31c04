import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlockIdOf } from '../platform/unlock-records.js';
import type { InputEvent } from '../rules/events.js';
import { rewardWorkflowId } from '../workflows/reward-contract.js';
import { eventually, produceEvents, readTopic, topicEnds } from './support/engine.js';
import { purchase, refund, ruleDocument } from './support/events.js';
import { requestsAs } from './support/tokens.js';
import { uniqueName } from './support/stack.js';
import { startWholeSystem, type WholeSystem } from './support/whole-system.js';

const RULE = 'coffee-monthly';

/**
 * Coffee lover, earned again every calendar month, points only; counting restaurants (MCC 5812), so the default
 * coffee-lover, whose partner calls back, stays out of it.
 */
const monthlyCoffees = {
  ...ruleDocument('coffee-lover'),
  id: RULE,
  version: undefined,
  filter: { kinds: ['purchase'], categoryIds: [5812] },
  repeat: { every: 'month' },
  levels: [
    {
      ...(ruleDocument('coffee-lover').levels as Record<string, unknown>[])[0],
      achievementId: RULE,
      partner: undefined,
    },
  ],
  examples: [],
};

describe('an achievement repeating every month, on the whole system', () => {
  let system: WholeSystem;

  beforeAll(async () => {
    system = await startWholeSystem();
  }, 300_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('is earned in three months, each with its own unlock, record, reward and points; a refund crossing a month leaves the month earned', async () => {
    const admin = requestsAs(system.app, { role: 'admin', sub: 'emp-1' });
    const created = await admin('POST', '/v1/admin/rules', JSON.parse(JSON.stringify(monthlyCoffees)));
    expect(created.status).toBe(201);
    expect((await admin('POST', `/v1/admin/rules/${RULE}/versions/1/activate`)).status).toBe(202);
    // Live on the processors: a sentinel client's ten coffees in one month earn it.
    const sentinel = uniqueName('c');
    await eventually(
      async () => {
        await produceEvents(system.kafka, system.inputs, coffees(sentinel, '2026-07', 1, 10));
        return unlocksOf(sentinel);
      },
      (rows) => rows.length > 0,
      60_000,
    );

    const clientId = uniqueName('c');
    const from = await topicEnds(system.kafka, system.outputs.unlocked);
    const august = coffees(clientId, '2026-08', 1, 10);
    const october = coffees(clientId, '2026-10', 1, 10);
    await produceEvents(system.kafka, system.inputs, [
      ...august,
      // Dated in September, taking back an August coffee: August stays earned.
      refund(august[9]!, '2026-09-01T10:00:00+02:00'),
      ...coffees(clientId, '2026-09', 2, 10),
      // October's tenth coffee is refunded before it arrives: the eleventh earns October.
      ...october.slice(0, 9),
      refund(october[9]!, '2026-10-10T09:00:00+02:00'),
      october[9]!,
      ...coffees(clientId, '2026-10', 20, 1),
    ]);
    const rows = await eventually(
      () => unlocksOf(clientId),
      (found) => found.length === 3,
      90_000,
    );
    expect(rows.map((row) => [row.occurrence, row.unlock_id])).toEqual(
      ['2026-08', '2026-09', '2026-10'].map((month) => [month, unlockIdOf(clientId, RULE, month)]),
    );
    expect(rows.map((row) => row.unlocked_at.toISOString())).toEqual([
      '2026-08-10T06:00:00.000Z',
      '2026-09-11T06:00:00.000Z',
      '2026-10-20T06:00:00.000Z',
    ]);

    const recordOf = (m: { value: Buffer | null }) =>
      JSON.parse(m.value!.toString()) as { achievementId: string; occurrence: string | null };
    const records = await readTopic(
      system.kafka,
      system.outputs.unlocked,
      from,
      (m) => m.key?.toString() === clientId && recordOf(m).achievementId === RULE,
      (seen) => seen.length >= 3,
    );
    expect(records.map((m) => recordOf(m).occurrence)).toEqual(['2026-08', '2026-09', '2026-10']);

    // Three reward workflows, one per occurrence, three grants of the level's points.
    for (const month of ['2026-08', '2026-09', '2026-10'])
      await system.temporal.workflow.getHandle(rewardWorkflowId(clientId, RULE, month)).result();
    const { rows: grants } = await system.db.pool.query<{ points: number }>(
      `SELECT l.points FROM loyalty_ledger l JOIN achievement_unlocks u ON l.idempotency_key = 'grant:' || u.unlock_id
        WHERE u.client_id = $1 AND u.achievement_id = $2`,
      [clientId, RULE],
    );
    expect(grants.map((grant) => grant.points)).toEqual([100, 100, 100]);

    const client = requestsAs(system.app, { role: 'client', sub: clientId });
    const mine = (await (await client('GET', '/v1/me/achievements')).json()) as {
      achievements: { id: string; timesEarned: number; repeats: string; unlockedAt: string }[];
    };
    expect(mine.achievements.find((a) => a.id === RULE)).toMatchObject({
      timesEarned: 3,
      repeats: 'month',
      unlockedAt: '2026-10-20T06:00:00.000Z',
    });
  }, 240_000);

  /**
   * `count` coffees of `clientId` on consecutive days of `month` from `firstDay`, at 08:00 +02:00 (06:00 UTC).
   * Months already past: the engine refuses a record dated more than a day after Kafka received it.
   */
  function coffees(clientId: string, month: string, firstDay: number, count: number): InputEvent[] {
    return Array.from({ length: count }, (_, i) =>
      purchase({
        clientId,
        categoryId: 5812,
        amount: 6_000,
        time: `${month}-${String(firstDay + i).padStart(2, '0')}T08:00:00+02:00`,
      }),
    );
  }

  async function unlocksOf(clientId: string) {
    const { rows } = await system.db.pool.query<{ occurrence: string; unlock_id: string; unlocked_at: Date }>(
      `SELECT occurrence, unlock_id, unlocked_at FROM achievement_unlocks
        WHERE client_id = $1 AND achievement_id = $2 ORDER BY occurrence`,
      [clientId, RULE],
    );
    return rows;
  }
});
