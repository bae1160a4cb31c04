import type { Achievement } from './catalog.js';
import { readEntries } from './entries.js';
import { measureKind } from './measures.js';
import type { ClientProgress } from './progress.js';
import { refundedAmounts } from './refunds.js';
import { windowKind } from './windows.js';

export interface AchievementView {
  id: string;
  unlocked: boolean;
  unlockedAt: string | null;
  progress: { current: number; target: number };
}

/** How far a client is towards one achievement now; an unlocked one shows its target reached. */
export function viewOf(
  achievement: Achievement,
  progress: ClientProgress,
  nowMs: number,
  zone: string,
): AchievementView {
  const { rule, level } = achievement;
  const unlock = progress.unlocked[level.achievementId];
  if (unlock) {
    return {
      id: level.achievementId,
      unlocked: true,
      unlockedAt: unlock.at,
      progress: { current: level.target, target: level.target },
    };
  }
  const flat = progress.rules[rule.id]?.entries ?? [];
  const entries = readEntries(flat, refundedAmounts(progress.refunds));
  const measured = windowKind(rule).now(entries, nowMs, measureKind(rule.measure), zone);
  return {
    id: level.achievementId,
    unlocked: false,
    unlockedAt: null,
    progress: { current: Math.min(measured, level.target), target: level.target },
  };
}
