import type { AchievementView, Availability } from './progress-view.js';

/** An unlock its rule's budget refused (the rule had closed): the client reached it, and was not granted it. */
export interface RefusedUnlock {
  achievementId: string;
  /** The occurrence of a repeating achievement, '' for one earned once. */
  occurrence: string;
  refusedAt: string;
}

/** When an achievement can be earned, its rule's budget counted in: `closed` since `closedAt`. */
export interface BudgetedAvailability extends Omit<Availability, 'state'> {
  state: Availability['state'] | 'closed';
  closedAt: string | null;
}

export type BudgetedView = Omit<AchievementView, 'availability' | 'progress'> & {
  availability: BudgetedAvailability;
  progress: AchievementView['progress'] | null;
};

/** An availability with its rule's budget: an open campaign whose budget closed is closed. */
export const budgetedAvailability = (
  availability: Availability,
  closedAt: string | null,
): BudgetedAvailability => ({
  ...availability,
  state: closedAt !== null && availability.state === 'open' ? 'closed' : availability.state,
  closedAt,
});

/**
 * An achievement as the app sees it once its rule's budget is counted in: a closed rule says since when, and
 * an unlock the budget refused is not the client's (for one earned once, no progress either: the client can
 * make none).
 */
export function withBudget(
  view: AchievementView,
  closedAt: string | null,
  refused: readonly RefusedUnlock[],
): BudgetedView {
  const availability = budgetedAvailability(view.availability, closedAt);
  const mine = refused.filter((unlock) => unlock.achievementId === view.id);
  if (mine.length === 0) return { ...view, availability };
  if (view.repeats === null)
    return { ...view, availability, unlocked: false, unlockedAt: null, timesEarned: 0, progress: null };
  const timesEarned = Math.max(0, view.timesEarned - mine.length);
  return {
    ...view,
    availability,
    timesEarned,
    unlocked: timesEarned > 0,
    unlockedAt: timesEarned > 0 ? view.unlockedAt : null,
  };
}
