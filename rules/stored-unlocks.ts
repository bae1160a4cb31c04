import type { ClientProgress } from './progress.js';

/** An unlock as achievement_unlocks holds it. */
export interface StoredUnlock {
  achievementId: string;
  /** '' for an achievement earned once; which earning (its period or count) for one that repeats. */
  occurrence: string;
  at: string;
  sourceEventId: string;
}

/**
 * A client's progress as the app shows it: with every stored unlock it does not hold yet. An unlock is stored at
 * once and the progress that led to it at its partition's next checkpoint (README, "Checkpoints"); until then the
 * achievement shows unlocked from its unlock, its measures as the last checkpoint left them.
 */
export function withStoredUnlocks(
  progress: ClientProgress,
  unlocks: readonly StoredUnlock[],
): ClientProgress {
  let unlocked = progress.unlocked;
  const earnings = new Map<string, StoredUnlock[]>();
  for (const unlock of unlocks) {
    const { achievementId, occurrence, at, sourceEventId } = unlock;
    if (occurrence !== '') earnings.set(achievementId, [...(earnings.get(achievementId) ?? []), unlock]);
    else if (!Object.hasOwn(unlocked, achievementId))
      unlocked = { ...unlocked, [achievementId]: { at, sourceEventId } };
  }
  let repeats = progress.repeats;
  for (const [achievementId, earned] of earnings) {
    const held = repeats?.[achievementId];
    if (earned.length <= (held?.times ?? 0)) continue;
    const last = earned.reduce((latest, unlock) => (unlock.at > latest.at ? unlock : latest));
    repeats = {
      ...repeats,
      [achievementId]: {
        times: earned.length,
        open: held?.open ?? [],
        last: { at: last.at, sourceEventId: last.sourceEventId, occurrence: last.occurrence },
      },
    };
  }
  if (unlocked === progress.unlocked && repeats === progress.repeats) return progress;
  return { ...progress, unlocked, ...(repeats ? { repeats } : {}) };
}
