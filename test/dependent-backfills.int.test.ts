import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuleFiles } from '../platform/catalog-files.js';
import { buildCatalog } from '../rules/catalog.js';
import { decide, type AchievementUnlocked } from '../rules/decide.js';
import type { InputEvent } from '../rules/events.js';
import { initialProgress } from '../rules/progress.js';
import { liveOnEveryPartition, nextWrittenAt, processedToEnds, produceEvents } from './support/engine.js';
import { purchase, ruleDocument } from './support/events.js';
import { uniqueName } from './support/stack.js';
import { requestsAs } from './support/tokens.js';
import { startWholeSystem, type WholeSystem } from './support/whole-system.js';

const ZONE = 'Europe/Kyiv';

/** A level of a rule of this test's own: points only (no partner), with the coffee lover's texts. */
const levelOf = (achievementId: string, target: number) => ({
  ...(ruleDocument('coffee-lover').levels as Record<string, unknown>[])[0],
  achievementId,
  target,
  partner: undefined,
});

/** "Both first purchase and big spender bronze": a composite of two default achievements. */
const bothOf = (id: string) => ({
  id,
  trigger: { on: 'achievements', of: ['first-purchase', 'big-spender-bronze'] },
  measure: { type: 'count' },
  window: { type: 'lifetime' },
  levels: [levelOf(id, 2)],
});

/** "Three restaurant visits in a calendar month once a big spender": a follow-up of a default achievement. */
const restaurantsAfterBronze = (id: string) => ({
  id,
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5812] },
  after: { achievement: 'big-spender-bronze' },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  levels: [levelOf(id, 3)],
});

/** At most 150 points a calendar month from the rules of the `meals` group. */
const MEALS_CAP = { points: 150, per: 'month', group: 'meals' };

/** "Three restaurant visits in a calendar month", 100 points, capped with the meals group. */
const threeMeals = (id: string) => ({
  id,
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5812] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  cap: MEALS_CAP,
  levels: [levelOf(id, 3)],
});

/** "1,000 UAH in restaurants in a calendar month", 100 points, capped with the meals group. */
const mealSpender = (id: string) => ({
  ...threeMeals(id),
  measure: { type: 'sum', field: 'amount' },
  levels: [levelOf(id, 100_000)],
});

/** A restaurant purchase of `amount` minor units on `day` of a month of 2026 (October), at 12:00 in Kyiv. */
const meal = (clientId: string, day: number, amount = 20_000, month = '10') =>
  purchase({
    clientId,
    categoryId: 5812,
    amount,
    time: `2026-${month}-${String(day).padStart(2, '0')}T12:00:00+03:00`,
  });

describe('backfills of composites and follow-ups, on the whole system', () => {
  let system: WholeSystem;

  beforeAll(async () => {
    system = await startWholeSystem();
  }, 300_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('unlock each as live processing would have, had the rule been live all along: on the record that brought what it reads', async () => {
    const admin = requestsAs(system.app, { role: 'admin', sub: 'emp-1' });
    const [steady, late] = [uniqueName('c'), uniqueName('c')];
    const histories: Record<string, InputEvent[]> = {
      // First purchase on the 1st, big spender on the 2nd, restaurants on the 3rd and 4th.
      [steady]: [meal(steady, 1), meal(steady, 2, 480_000), meal(steady, 3), meal(steady, 4)],
      // A meal of the 5th arrives before the one of the 2nd that makes the client a big spender: live, the
      // follow-up kept it waiting, and counts it from the 2nd.
      [late]: [meal(late, 1), meal(late, 5), meal(late, 2, 480_000), meal(late, 3)],
    };
    const from = (await nextWrittenAt()).toISOString();
    await produceEvents(system.kafka, system.inputs, Object.values(histories).flat());
    // Counted by the processors before the rules exist: history, for them.
    await processedToEnds(system.db.pool, system.kafka, system.inputs);
    const { rows: sources } = await system.db.pool.query<{ source_topic: string; source_offset: string }>(
      `SELECT source_topic, source_offset FROM achievement_unlocks
        WHERE client_id = ANY($1) AND achievement_id = 'big-spender-bronze'`,
      [[steady, late]],
    );
    expect(sources).toHaveLength(2);
    for (const source of sources) expect(source).toMatchObject({ source_topic: system.inputs.transactions });

    const rules = [bothOf(uniqueName('both')), restaurantsAfterBronze(uniqueName('meals-after-bronze'))];
    for (const rule of rules) {
      expect((await admin('POST', '/v1/admin/rules', rule)).status).toBe(201);
      const activated = await admin('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`, {
        backfillFrom: from,
      });
      expect(activated.status).toBe(202);
      const { backfill } = (await activated.json()) as { backfill: { workflowId: string } };
      expect(await system.temporal.workflow.getHandle(backfill.workflowId).result()).toMatchObject({
        phase: 'done',
        unlocksFound: 2,
      });
    }

    // The reference: every rule live from the first record, each client's records in the order they came.
    const allAlong = buildCatalog([
      ...readRuleFiles(),
      ...rules.map((rule) => ({ source: rule.id, document: { version: 1, ...rule } })),
    ]);
    const expected = Object.entries(histories).flatMap(([clientId, events]) => {
      let progress = initialProgress();
      const unlocked: AchievementUnlocked[] = [];
      for (const event of events) {
        const decision = decide(progress, event, allAlong, ZONE);
        progress = decision.progress;
        unlocked.push(...decision.unlocked);
      }
      return unlocked
        .filter((unlock) => rules.some((rule) => rule.id === unlock.ruleId))
        .map((unlock) => `${clientId} ${unlock.achievementId} ${unlock.unlockedAt} ${unlock.sourceEventId}`);
    });
    const { rows } = await system.db.pool.query<{
      client_id: string;
      achievement_id: string;
      unlocked_at: Date;
      source_event_id: string;
    }>(
      `SELECT client_id, achievement_id, unlocked_at, source_event_id FROM achievement_unlocks
        WHERE client_id = ANY($1) AND rule_id = ANY($2)`,
      [[steady, late], rules.map((rule) => rule.id)],
    );
    const backfilled = rows.map(
      (row) =>
        `${row.client_id} ${row.achievement_id} ${row.unlocked_at.toISOString()} ${row.source_event_id}`,
    );
    expect(expected).toHaveLength(4);
    expect(backfilled.sort()).toEqual(expected.sort());
  }, 300_000);

  it('of a rule sharing a cap with a group, grants what the group’s cap left in the period of each unlock', async () => {
    const admin = requestsAs(system.app, { role: 'admin', sub: 'emp-1' });
    const live = threeMeals(uniqueName('three-meals'));
    expect((await admin('POST', '/v1/admin/rules', live)).status).toBe(201);
    expect((await admin('POST', `/v1/admin/rules/${live.id}/versions/1/activate`)).status).toBe(202);
    await liveOnEveryPartition(system.db.pool, system.kafka, system.inputs, live.id);

    const clientId = uniqueName('c');
    const from = (await nextWrittenAt()).toISOString();
    // Three meals on August 1–3 earn the live rule's 100 points and, spending 1,200 UAH, the backfilled one's.
    // A meal in October leaves August behind: live processing no longer keeps what the group spent in it.
    await produceEvents(system.kafka, system.inputs, [
      meal(clientId, 1, 20_000, '08'),
      meal(clientId, 2, 20_000, '08'),
      meal(clientId, 3, 80_000, '08'),
      meal(clientId, 1),
    ]);
    await processedToEnds(system.db.pool, system.kafka, system.inputs);
    const backfilledRule = mealSpender(uniqueName('meal-spender'));
    expect((await admin('POST', '/v1/admin/rules', backfilledRule)).status).toBe(201);
    const activated = await admin('POST', `/v1/admin/rules/${backfilledRule.id}/versions/1/activate`, {
      backfillFrom: from,
    });
    expect(activated.status).toBe(202);
    const { backfill } = (await activated.json()) as { backfill: { workflowId: string } };
    expect(await system.temporal.workflow.getHandle(backfill.workflowId).result()).toMatchObject({
      phase: 'done',
      pointsGranted: 50,
    });
    const { rows } = await system.db.pool.query<{ achievement_id: string; points: number }>(
      'SELECT achievement_id, points FROM achievement_unlocks WHERE client_id = $1 ORDER BY points DESC',
      [clientId],
    );
    expect(rows.filter((row) => [live.id, backfilledRule.id].includes(row.achievement_id))).toEqual([
      { achievement_id: live.id, points: 100 },
      { achievement_id: backfilledRule.id, points: 50 },
    ]);
  }, 300_000);
});
