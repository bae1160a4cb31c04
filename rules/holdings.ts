import type { Earned } from './earn.js';
import type { UnlockRecord } from './progress.js';

/**
 * An earning made by a rule outside the catalog `decide` runs: what a replay of one rule needs to know of the
 * achievements its composite counts or its follow-up follows, and of what the rules sharing its cap's group
 * granted, as live processing stored them. A replay gives each to `decide` with the record live processing
 * earned it on (`brought`), so the replayed rule reads the client's holdings, and its group's cap, as they were
 * at each record, not as they are now.
 */
export interface Holding extends UnlockRecord {
  achievementId: string;
  /** A repeating achievement's occurrence; absent for one earned once. */
  occurrence?: string;
  /** The points it was granted, which a cap shared with a group counts (see caps.ts). */
  points?: number;
}

/** Where a record sits: its topic (its partition is its client's) and offset. */
export interface RecordPosition {
  topic: string;
  offset: string;
}

/**
 * What the client holds once the holdings are added, in their order: an achievement earned once is held from
 * its unlock (an unlock already held stays as it is), a repeating one is earned once more, its latest earning
 * the holding and its first earning kept. The same object when none is given.
 */
export function withHoldings(earned: Earned, holdings: readonly Holding[]): Earned {
  let { unlocked, repeats } = earned;
  for (const { achievementId, occurrence, at, sourceEventId } of holdings) {
    if (occurrence === undefined) {
      if (!Object.hasOwn(unlocked, achievementId))
        unlocked = { ...unlocked, [achievementId]: { at, sourceEventId } };
      continue;
    }
    const before = repeats?.[achievementId];
    const firstAt = before ? before.firstAt : at;
    repeats = {
      ...repeats,
      [achievementId]: {
        times: (before?.times ?? 0) + 1,
        open: before?.open ?? [],
        last: { at, sourceEventId, occurrence },
        ...(firstAt !== undefined ? { firstAt } : {}),
      },
    };
  }
  return unlocked === earned.unlocked && repeats === earned.repeats ? earned : { unlocked, repeats };
}
