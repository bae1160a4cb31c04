import type { Rule, RuleBudget } from './rule-schema.js';
import type { RuleProblem } from './rule-validation.js';

/**
 * A rule's budget across all clients (rule-schema.ts `budget`): what it has given, and whether it is closed.
 * Pure, so the processor and a backfill's merge decide alike; `platform/budget-store.ts` keeps it in
 * PostgreSQL, taken in the transaction that stores the unlocks.
 */
export interface BudgetState {
  unlocksSpent: number;
  pointsSpent: number;
  /** When the rule closed, under which limits; a version with other limits opens it again. */
  closedAt: string | null;
  closedUnder: BudgetLimits | null;
}

export interface BudgetLimits {
  unlocks: number | null;
  points: number | null;
}

export const UNSPENT: BudgetState = { unlocksSpent: 0, pointsSpent: 0, closedAt: null, closedUnder: null };

export const limitsOf = (budget: RuleBudget): BudgetLimits => ({
  unlocks: budget.unlocks ?? null,
  points: budget.points ?? null,
});

const sameLimits = (a: BudgetLimits | null, b: BudgetLimits) =>
  a !== null && a.unlocks === b.unlocks && a.points === b.points;

/** Whether the budget is closed under the rule's current limits. */
export const isClosed = (state: BudgetState, budget: RuleBudget) =>
  state.closedAt !== null && sameLimits(state.closedUnder, limitsOf(budget));

/** Whether nothing is left that any level of the rule (worth `smallestPoints` at least) could take. */
function usedUp(state: BudgetState, limits: BudgetLimits, smallestPoints: number) {
  return (
    (limits.unlocks !== null && state.unlocksSpent >= limits.unlocks) ||
    (limits.points !== null && state.pointsSpent + smallestPoints > limits.points)
  );
}

/**
 * Takes one unlock worth `points` from the budget at `nowIso`: granted when it fits whole and the rule is
 * open. The unlock that uses the budget up closes the rule, as does the first that does not fit (a smaller
 * one later does not reopen it: first come, first served).
 */
export function takeFromBudget(
  state: BudgetState,
  budget: RuleBudget,
  points: number,
  smallestPoints: number,
  nowIso: string,
): { state: BudgetState; granted: boolean } {
  const limits = limitsOf(budget);
  if (isClosed(state, budget)) return { state, granted: false };
  const fits =
    (limits.unlocks === null || state.unlocksSpent + 1 <= limits.unlocks) &&
    (limits.points === null || state.pointsSpent + points <= limits.points);
  if (!fits) return { state: { ...state, closedAt: nowIso, closedUnder: limits }, granted: false };
  const spent = { unlocksSpent: state.unlocksSpent + 1, pointsSpent: state.pointsSpent + points };
  const closing = usedUp({ ...state, ...spent }, limits, smallestPoints);
  return {
    state: closing
      ? { ...spent, closedAt: nowIso, closedUnder: limits }
      : { ...spent, closedAt: null, closedUnder: null },
    granted: true,
  };
}

/** What a dry run would find of a budget: what is left of each limit, and whether its unlocks would close it. */
export interface BudgetOutlook {
  unlocksLeft: number | null;
  pointsLeft: number | null;
  wouldClose: boolean;
}

/**
 * The outlook of `budget`, spent as `state` says (UNSPENT for a rule that never took from it), for a dry run
 * that found `unlocks` unlocks worth `points`. Which of them would be granted depends on the order the engine
 * commits them in, which a dry run does not know: it tells only whether they all fit.
 */
export function budgetOutlook(
  budget: RuleBudget,
  state: BudgetState,
  found: { unlocks: number; points: number },
): BudgetOutlook {
  const limits = limitsOf(budget);
  const closed = isClosed(state, budget);
  const left = (limit: number | null, spent: number) =>
    limit === null ? null : closed ? 0 : Math.max(0, limit - spent);
  const unlocksLeft = left(limits.unlocks, state.unlocksSpent);
  const pointsLeft = left(limits.points, state.pointsSpent);
  const wouldClose =
    (unlocksLeft !== null && found.unlocks > unlocksLeft) ||
    (pointsLeft !== null && found.points > pointsLeft);
  return { unlocksLeft, pointsLeft, wouldClose };
}

/**
 * What a closing budget (`atLimit: close`) and the achievements others read must fit. An unlock a closing budget
 * refuses is refused as the batch commits, after the client's progress came to hold it and a composite or a
 * follow-up reading it counted it: so no rule may read an achievement of a rule whose budget closes, in either
 * order of creation. A budget that goes on `without-points` still grants the unlock, which they rightly read.
 */
export function closingBudgetProblems(
  rule: Rule,
  others: { closingBudgets: ReadonlyMap<string, string>; namedByOthers: ReadonlyMap<string, string> },
): RuleProblem[] {
  const read = [
    ...(rule.trigger.on === 'achievements'
      ? rule.trigger.of.map((id, i) => ({ id, pointer: `/trigger/of/${i}` }))
      : []),
    ...(rule.after ? [{ id: rule.after.achievement, pointer: '/after/achievement' }] : []),
  ];
  const problems = read.flatMap(({ id, pointer }) => {
    const holder = others.closingBudgets.get(id);
    return holder === undefined
      ? []
      : [
          {
            pointer,
            detail: `${id} is earned under rule ${holder}'s budget, which closes: a client it refuses would count here; name an achievement whose budget goes on without points, or none`,
          },
        ];
  });
  if (rule.budget?.atLimit !== 'close') return problems;
  for (const level of rule.levels) {
    const reader = others.namedByOthers.get(level.achievementId);
    if (reader !== undefined)
      problems.push({
        pointer: '/budget/atLimit',
        detail: `rule ${reader} counts ${level.achievementId}, and would count a client this budget refuses; use atLimit: without-points`,
      });
  }
  return problems;
}
