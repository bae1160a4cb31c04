import type pg from 'pg';
import { isClosed, takeFromBudget, UNSPENT, type BudgetLimits, type BudgetState } from '../rules/budgets.js';
import type { RuleBudget } from '../rules/rule-schema.js';
import type { Catalog, CatalogRule } from '../rules/catalog.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import { unlockIdOf, type BudgetedUnlock } from './unlock-records.js';

interface BudgetRow {
  rule_id: string;
  unlocks_spent: string;
  points_spent: string;
  closed_at: Date | null;
  closed_under: BudgetLimits | null;
}

const stateOf = (row: BudgetRow): BudgetState => ({
  unlocksSpent: Number(row.unlocks_spent),
  pointsSpent: Number(row.points_spent),
  closedAt: row.closed_at?.toISOString() ?? null,
  closedUnder: row.closed_under,
});

const idOf = (unlock: AchievementUnlocked) =>
  unlockIdOf(unlock.clientId, unlock.achievementId, unlock.occurrence);

/** Locks the budgets of these rules (in rule order, so two writers never wait on each other in a cycle). */
async function lockBudgets(client: pg.PoolClient, ruleIds: string[]) {
  await client.query(
    'INSERT INTO rule_budgets (rule_id) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING',
    [ruleIds],
  );
  const { rows } = await client.query<BudgetRow>(
    `SELECT rule_id, unlocks_spent, points_spent, closed_at, closed_under FROM rule_budgets
      WHERE rule_id = ANY($1) ORDER BY rule_id FOR UPDATE`,
    [ruleIds],
  );
  return new Map(rows.map((row) => [row.rule_id, stateOf(row)]));
}

/**
 * Unlocks decided before, granted or not: by their budget decision, or stored before their rule had a budget
 * (granted, spending nothing).
 */
async function decidedBefore(client: pg.PoolClient, unlockIds: string[]) {
  const { rows } = await client.query<{ unlock_id: string; granted: boolean }>(
    `SELECT ids.unlock_id, coalesce(s.granted, true) AS granted
       FROM unnest($1::uuid[]) AS ids (unlock_id) LEFT JOIN budget_spends s USING (unlock_id)
      WHERE s.unlock_id IS NOT NULL
         OR EXISTS (SELECT 1 FROM achievement_unlocks a WHERE a.unlock_id = ids.unlock_id)`,
    [unlockIds],
  );
  return new Map(rows.map((row) => [row.unlock_id, row.granted]));
}

/**
 * Takes each budgeted unlock from its rule's budget, in the order given (the order this transaction commits
 * them), in the transaction that stores them: a rollback gives nothing back because nothing was taken, and an
 * unlock decided before is decided alike without spending again. Answers the unlocks to store: those granted
 * as they were, those past a budget that goes on `without-points` with none, and none past one that closes.
 */
export async function spendBudgets(
  client: pg.PoolClient,
  unlocked: AchievementUnlocked[],
  catalog: Catalog,
): Promise<BudgetedUnlock[]> {
  const rules = new Map(catalog.rules.map((rule) => [rule.id, rule]));
  const budgetOf = (unlock: AchievementUnlocked) => rules.get(unlock.ruleId)?.budget;
  const budgeted = unlocked.filter(budgetOf);
  if (budgeted.length === 0) return unlocked;
  const states = await lockBudgets(client, [...new Set(budgeted.map((u) => u.ruleId))].sort());
  const before = await decidedBefore(client, budgeted.map(idOf));
  const now = new Date().toISOString();
  const spends: Record<string, unknown>[] = [];
  const granted = new Map<AchievementUnlocked, boolean>();
  for (const unlock of budgeted) {
    const unlockId = idOf(unlock);
    const known = before.get(unlockId);
    if (known !== undefined) {
      granted.set(unlock, known);
      continue;
    }
    const rule = rules.get(unlock.ruleId)!;
    const taken = takeFromBudget(states.get(rule.id)!, rule.budget!, unlock.points, smallest(rule), now);
    states.set(rule.id, taken.state);
    before.set(unlockId, taken.granted);
    granted.set(unlock, taken.granted);
    spends.push({
      unlock_id: unlockId,
      rule_id: rule.id,
      client_id: unlock.clientId,
      achievement_id: unlock.achievementId,
      occurrence: unlock.occurrence ?? '',
      points: taken.granted ? unlock.points : 0,
      granted: taken.granted,
    });
  }
  await storeBudgets(client, states, spends);
  return unlocked.flatMap((unlock): BudgetedUnlock[] => {
    if (granted.get(unlock) !== false) return [unlock];
    if (budgetOf(unlock)!.atLimit === 'close') return [];
    return [{ ...unlock, points: 0, partnerId: undefined, beyondBudget: true }];
  });
}

const smallest = (rule: CatalogRule) => Math.min(...rule.levels.map((level) => level.points));

async function storeBudgets(
  client: pg.PoolClient,
  states: Map<string, BudgetState>,
  spends: Record<string, unknown>[],
) {
  if (spends.length === 0) return;
  await client.query(
    `UPDATE rule_budgets b
        SET unlocks_spent = s.unlocks_spent, points_spent = s.points_spent, closed_at = s.closed_at,
            closed_under = s.closed_under
       FROM json_to_recordset($1::json) AS s (rule_id text, unlocks_spent bigint, points_spent bigint,
              closed_at timestamptz, closed_under jsonb)
      WHERE b.rule_id = s.rule_id`,
    [
      JSON.stringify(
        [...states].map(([rule_id, state]) => ({
          rule_id,
          unlocks_spent: state.unlocksSpent,
          points_spent: state.pointsSpent,
          closed_at: state.closedAt,
          closed_under: state.closedUnder,
        })),
      ),
    ],
  );
  await client.query(
    `INSERT INTO budget_spends (unlock_id, rule_id, client_id, achievement_id, occurrence, points, granted)
     SELECT * FROM json_to_recordset($1::json) AS s (unlock_id uuid, rule_id text, client_id text,
              achievement_id text, occurrence text, points int, granted boolean)`,
    [JSON.stringify(spends)],
  );
}

/** A budget as the console and the app see it: what it has given, and since when it is closed. */
export interface BudgetStanding {
  unlocksSpent: number;
  pointsSpent: number;
  closedAt: string | null;
}

/** What each of these rules' budgets has given, for those that ever took an unlock. */
export async function budgetStates(db: pg.Pool, ruleIds: string[]): Promise<Map<string, BudgetState>> {
  if (ruleIds.length === 0) return new Map();
  const { rows } = await db.query<BudgetRow>(
    `SELECT rule_id, unlocks_spent, points_spent, closed_at, closed_under FROM rule_budgets
      WHERE rule_id = ANY($1)`,
    [ruleIds],
  );
  return new Map(rows.map((row) => [row.rule_id, stateOf(row)]));
}

/** A budget's standing under the rule's current limits: closed only while they are those it closed under. */
export const standingOf = (budget: RuleBudget, state: BudgetState = UNSPENT): BudgetStanding => ({
  unlocksSpent: state.unlocksSpent,
  pointsSpent: state.pointsSpent,
  closedAt: isClosed(state, budget) ? state.closedAt : null,
});

/** Every budgeted rule's standing, by rule id. */
export async function budgetStandings(db: pg.Pool, catalog: Catalog): Promise<Map<string, BudgetStanding>> {
  const budgeted = catalog.rules.filter((rule) => rule.budget);
  const states = await budgetStates(
    db,
    budgeted.map((rule) => rule.id),
  );
  return new Map(budgeted.map((rule) => [rule.id, standingOf(rule.budget!, states.get(rule.id))]));
}
