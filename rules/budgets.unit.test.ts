import { describe, expect, it } from 'vitest';
import { budgetOutlook, isClosed, takeFromBudget, UNSPENT, type BudgetState } from './budgets.js';
import type { RuleBudget } from './rule-schema.js';

const NOW = '2026-12-01T10:00:00.000Z';

/** Takes unlocks worth `points` one after the other; answers which were granted and where the budget ends. */
function takeAll(budget: RuleBudget, points: number[], smallest = Math.min(...points), from = UNSPENT) {
  let state: BudgetState = from;
  const granted = points.map((p) => {
    const taken = takeFromBudget(state, budget, p, smallest, NOW);
    state = taken.state;
    return taken.granted;
  });
  return { granted, state };
}

describe('a rule’s budget across all clients', () => {
  it('grants the first N unlocks and closes with the Nth', () => {
    const budget: RuleBudget = { unlocks: 3, atLimit: 'close' };
    const { granted, state } = takeAll(budget, [10, 10, 10, 10]);
    expect(granted).toEqual([true, true, true, false]);
    expect(state).toMatchObject({ unlocksSpent: 3, pointsSpent: 30, closedAt: NOW });
    expect(isClosed(takeAll(budget, [10, 10]).state, budget)).toBe(false);
    expect(isClosed(takeAll(budget, [10, 10, 10]).state, budget)).toBe(true);
  });

  it('grants points while they fit whole, and stays closed after the first that does not', () => {
    const budget: RuleBudget = { points: 250, atLimit: 'without-points' };
    expect(takeAll(budget, [100, 100, 100, 50], 50).granted).toEqual([true, true, false, false]);
  });

  it('opens again under a version with other limits', () => {
    const closed = takeAll({ unlocks: 1, atLimit: 'close' }, [10]).state;
    const raised: RuleBudget = { unlocks: 2, atLimit: 'close' };
    expect(isClosed(closed, raised)).toBe(false);
    expect(takeAll(raised, [10, 10], 10, closed).granted).toEqual([true, false]);
  });
});

describe('a budget as a dry run sees it', () => {
  const budget: RuleBudget = { unlocks: 100, points: 5_000, atLimit: 'close' };

  it('tells what is left of each limit, and whether the unlocks found would close it', () => {
    const spent = takeAll(
      budget,
      Array.from({ length: 40 }, () => 50),
    ).state;
    expect(budgetOutlook(budget, spent, { unlocks: 60, points: 3_000 })).toEqual({
      unlocksLeft: 60,
      pointsLeft: 3_000,
      wouldClose: false,
    });
    expect(budgetOutlook(budget, spent, { unlocks: 61, points: 3_050 }).wouldClose).toBe(true);
    expect(budgetOutlook({ unlocks: 10, atLimit: 'close' }, UNSPENT, { unlocks: 3, points: 10_000 })).toEqual(
      {
        unlocksLeft: 10,
        pointsLeft: null,
        wouldClose: false,
      },
    );
  });

  it('has nothing left once closed under these limits', () => {
    const closed = takeAll(
      budget,
      Array.from({ length: 101 }, () => 10),
    ).state;
    expect(budgetOutlook(budget, closed, { unlocks: 1, points: 10 })).toEqual({
      unlocksLeft: 0,
      pointsLeft: 0,
      wouldClose: true,
    });
  });
});
