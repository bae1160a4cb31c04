import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlockIdOf } from '../platform/unlock-records.js';
import type { InputEvent } from '../rules/events.js';
import { rewardWorkflowId } from '../workflows/reward-contract.js';
import {
  eventually,
  liveOnEveryPartition,
  nextWrittenAt,
  processedToEnds,
  produceEvents,
  readTopic,
  topicEnds,
} from './support/engine.js';
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

describe('repeating and capped achievements, live and backfilled, on the whole system', () => {
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
    await liveOnEveryPartition(system.db.pool, system.kafka, system.inputs, RULE);

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
    for (const month of ['2026-08', '2026-09', '2026-10']) await rewardEnded(clientId, RULE, month);
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

  it('backfilled over history, finds each month earned before it went live and gives a month live earned late the time history gives it, granting each once', async () => {
    const admin = requestsAs(system.app, { role: 'admin', sub: 'emp-1' });
    const ruleId = uniqueName('coffee-monthly-history');
    const rule = {
      ...monthlyCoffees,
      id: ruleId,
      levels: [{ ...monthlyCoffees.levels[0], achievementId: ruleId }],
    };
    const [regular, newcomer] = [uniqueName('c'), uniqueName('c')];
    const from = (await nextWrittenAt()).toISOString();
    // History: the regular earns August and September and has half of October; the newcomer earns September.
    await produceEvents(system.kafka, system.inputs, [
      ...coffees(regular, '2026-08', 1, 10),
      ...coffees(regular, '2026-09', 1, 10),
      ...coffees(regular, '2026-10', 1, 5),
      ...coffees(newcomer, '2026-09', 11, 10),
    ]);
    // Counted by the processors before the rule exists: history, for the rule.
    await processedToEnds(system.db.pool, system.kafka, system.inputs);
    expect((await admin('POST', '/v1/admin/rules', JSON.parse(JSON.stringify(rule)))).status).toBe(201);
    const activate = (body: unknown) => admin('POST', `/v1/admin/rules/${ruleId}/versions/1/activate`, body);
    expect((await activate({})).status).toBe(202);
    await liveOnEveryPartition(system.db.pool, system.kafka, system.inputs, ruleId);
    // Live, counting from the activation alone, October takes ten more coffees: earned on the 15th.
    await produceEvents(system.kafka, system.inputs, coffees(regular, '2026-10', 6, 10));
    const live = await eventually(
      () => unlocksOf(regular, ruleId),
      (rows) => rows.length === 1,
      60_000,
    );
    expect(live.map((row) => [row.occurrence, row.unlocked_at.toISOString()])).toEqual([
      ['2026-10', '2026-10-15T06:00:00.000Z'],
    ]);
    await rewardEnded(regular, ruleId, '2026-10');

    const records = await topicEnds(system.kafka, system.outputs.unlocked);
    const activated = await activate({ backfillFrom: from });
    expect(activated.status).toBe(202);
    const { backfill } = (await activated.json()) as { backfill: { workflowId: string } };
    const status = (await system.temporal.workflow.getHandle(backfill.workflowId).result()) as {
      phase: string;
      unlocksFound: number;
      unlocksCorrected: number;
    };
    // The regular's August and September and the newcomer's September; it corrects the regular's October.
    expect(status.phase).toBe('done');
    expect(status.unlocksFound).toBe(3);
    expect(status.unlocksCorrected).toBe(1);
    const { rows: backfilled } = await system.db.pool.query<{ client_id: string; occurrence: string }>(
      `SELECT client_id, occurrence FROM achievement_unlocks
        WHERE achievement_id = $1 AND client_id = ANY($2) AND backfill_replay IS NOT NULL
        ORDER BY client_id = $3 DESC, occurrence`,
      [ruleId, [regular, newcomer], regular],
    );
    expect(backfilled.map((row) => [row.client_id, row.occurrence])).toEqual([
      [regular, '2026-08'],
      [regular, '2026-09'],
      [newcomer, '2026-09'],
    ]);

    const earned = async (clientId: string) =>
      (await unlocksOf(clientId, ruleId)).map((row) => [row.occurrence, row.unlocked_at.toISOString()]);
    expect(await earned(regular)).toEqual([
      ['2026-08', '2026-08-10T06:00:00.000Z'],
      ['2026-09', '2026-09-10T06:00:00.000Z'],
      ['2026-10', '2026-10-10T06:00:00.000Z'],
    ]);
    expect(await earned(newcomer)).toEqual([['2026-09', '2026-09-20T06:00:00.000Z']]);
    const recordOf = (m: { value: Buffer | null }) =>
      JSON.parse(m.value!.toString()) as { achievementId: string; clientId: string; occurrence: string };
    const found = await readTopic(
      system.kafka,
      system.outputs.unlocked,
      records,
      (m) => recordOf(m).achievementId === ruleId && [regular, newcomer].includes(recordOf(m).clientId),
      (seen) => seen.length >= 3,
    );
    expect(
      found
        .map((m) => `${recordOf(m).clientId === regular ? 'regular' : 'newcomer'} ${recordOf(m).occurrence}`)
        .sort(),
    ).toEqual(['newcomer 2026-09', 'regular 2026-08', 'regular 2026-09']);
    // Each occurrence rewarded once: October's live grant stays the only one.
    for (const [clientId, month] of [
      [regular, '2026-08'],
      [regular, '2026-09'],
      [newcomer, '2026-09'],
    ] as const)
      await rewardEnded(clientId, ruleId, month);
    const { rows: grants } = await system.db.pool.query<{ occurrence: string; points: string }>(
      `SELECT u.occurrence, sum(l.points) AS points FROM loyalty_ledger l
         JOIN achievement_unlocks u ON l.idempotency_key = 'grant:' || u.unlock_id
        WHERE u.client_id = $1 AND u.achievement_id = $2 GROUP BY u.occurrence ORDER BY u.occurrence`,
      [regular, ruleId],
    );
    expect(grants.map((grant) => [grant.occurrence, Number(grant.points)])).toEqual([
      ['2026-08', 100],
      ['2026-09', 100],
      ['2026-10', 100],
    ]);

    // October stays earned: another coffee in it earns nothing more, and the app counts three earnings.
    await produceEvents(system.kafka, system.inputs, coffees(regular, '2026-10', 28, 1));
    await processedToEnds(system.db.pool, system.kafka, system.inputs);
    expect(await earned(regular)).toHaveLength(3);
    const client = requestsAs(system.app, { role: 'client', sub: regular });
    const mine = (await (await client('GET', '/v1/me/achievements')).json()) as {
      achievements: { id: string; timesEarned: number; unlockedAt: string }[];
    };
    expect(mine.achievements.find((a) => a.id === ruleId)).toMatchObject({
      timesEarned: 3,
      unlockedAt: '2026-10-10T06:00:00.000Z',
    });
  }, 300_000);

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

  it('backfilled over history, a capped rule grants each unlock it finds at most what the cap leaves in its month', async () => {
    const admin = requestsAs(system.app, { role: 'admin', sub: 'emp-1' });
    const ruleId = uniqueName('restaurant-regular');
    const level = monthlyCoffees.levels[0] as Record<string, unknown>;
    const rule = {
      ...monthlyCoffees,
      id: ruleId,
      repeat: undefined,
      cap: { points: 150, per: 'month' },
      levels: [
        { ...level, achievementId: `${ruleId}-1`, target: 3 },
        { ...level, achievementId: `${ruleId}-2`, target: 6 },
      ],
    };
    const clientId = uniqueName('c');
    const from = (await nextWrittenAt()).toISOString();
    await produceEvents(system.kafka, system.inputs, coffees(clientId, '2026-10', 1, 6));
    // Counted by the processors before the rule exists (else live processing could find them first).
    await processedToEnds(system.db.pool, system.kafka, system.inputs);
    expect((await admin('POST', '/v1/admin/rules', JSON.parse(JSON.stringify(rule)))).status).toBe(201);
    const activated = await admin('POST', `/v1/admin/rules/${ruleId}/versions/1/activate`, {
      backfillFrom: from,
    });
    expect(activated.status).toBe(202);
    const { backfill } = (await activated.json()) as { backfill: { workflowId: string } };
    expect(await system.temporal.workflow.getHandle(backfill.workflowId).result()).toMatchObject({
      phase: 'done',
      unlocksFound: 2,
    });
    for (const achievementId of [`${ruleId}-1`, `${ruleId}-2`]) await rewardEnded(clientId, achievementId);
    const { rows } = await system.db.pool.query<{ achievement_id: string; points: number; granted: string }>(
      `SELECT u.achievement_id, u.points, (SELECT sum(points) FROM loyalty_ledger l
                                             WHERE l.idempotency_key = 'grant:' || u.unlock_id) AS granted
         FROM achievement_unlocks u WHERE u.client_id = $1 AND u.rule_id = $2 ORDER BY u.achievement_id`,
      [clientId, ruleId],
    );
    expect(rows.map((row) => [row.achievement_id, row.points, Number(row.granted)])).toEqual([
      [`${ruleId}-1`, 100, 100],
      [`${ruleId}-2`, 50, 50],
    ]);
  }, 300_000);

  /** Waits for an earning's reward workflow, which the worker starts once it reads the unlock, to end. */
  async function rewardEnded(clientId: string, achievementId: string, occurrence?: string) {
    const handle = system.temporal.workflow.getHandle(rewardWorkflowId(clientId, achievementId, occurrence));
    const ended = () =>
      handle.result().then(
        () => true,
        (error: unknown) => {
          if (error instanceof WorkflowNotFoundError) return false;
          throw error;
        },
      );
    await eventually(ended, Boolean, 60_000);
  }

  async function unlocksOf(clientId: string, achievementId = RULE) {
    const { rows } = await system.db.pool.query<{ occurrence: string; unlock_id: string; unlocked_at: Date }>(
      `SELECT occurrence, unlock_id, unlocked_at FROM achievement_unlocks
        WHERE client_id = $1 AND achievement_id = $2 ORDER BY occurrence`,
      [clientId, achievementId],
    );
    return rows;
  }
});
