/**
 * How a backfill awards what it found (CONTRACT §6): whether clients are told, which levels carry points and
 * rewards when history reached several of one rule at once, and at most how many points it grants in all.
 */
export interface BackfillPolicy {
  /** Push the unlock (and a partner's reward) to the client, or award silently. */
  notify: boolean;
  /** Award every level reached, or only the highest each client reached; lower ones stay unlocked, unawarded. */
  levels: 'all' | 'highest';
  /** The points the whole backfill may grant; unlocks past it are unlocked with no points. */
  maxPoints: number | undefined;
}

export const DEFAULT_BACKFILL_POLICY: BackfillPolicy = { notify: true, levels: 'all', maxPoints: undefined };

/** An unlock a backfill found, with its level's points and partner and its rank among the rule's levels. */
export interface FoundUnlock {
  unlockId: string;
  clientId: string;
  achievementId: string;
  points: number;
  partnerId: string | null;
  /** The level's place in its rule, 0 for the lowest. */
  rank: number;
}

/** What one found unlock is given. */
export interface Award {
  unlockId: string;
  /** The points granted; 0 for an outranked level or past the cap. */
  points: number;
  /** Whether a reward workflow runs for it (points to grant, or a partner to ask). */
  reward: boolean;
  /** Whether the client is told of the unlock. */
  notify: boolean;
  why: 'awarded' | 'outranked' | 'over-cap';
}

/**
 * The awards of found unlocks, taken in the order given (earliest unlock first), with `spent` points already
 * granted by earlier ones; `highestRank` is each client's highest level found by this backfill. The same unlocks,
 * spent and policy give the same awards, so a page redone after a crash awards exactly what it did before.
 */
export function awardsFor(
  unlocks: readonly FoundUnlock[],
  highestRank: ReadonlyMap<string, number>,
  policy: BackfillPolicy,
  spent: number,
): { awards: Award[]; spent: number } {
  const awards = unlocks.map((unlock): Award => {
    if (policy.levels === 'highest' && unlock.rank < (highestRank.get(unlock.clientId) ?? unlock.rank))
      return { unlockId: unlock.unlockId, points: 0, reward: false, notify: false, why: 'outranked' };
    const fits = policy.maxPoints === undefined || spent + unlock.points <= policy.maxPoints;
    const points = fits ? unlock.points : 0;
    spent += points;
    return {
      unlockId: unlock.unlockId,
      points,
      reward: points > 0 || unlock.partnerId !== null,
      notify: policy.notify,
      why: fits ? 'awarded' : 'over-cap',
    };
  });
  return { awards, spent };
}
