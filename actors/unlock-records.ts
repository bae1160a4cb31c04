import { createHash } from 'node:crypto';
import type { AchievementUnlocked } from '../rules/decide.js';

/** A UUID derived from the client and achievement: an achievement unlocks once, so its id never changes. */
export function unlockIdOf(clientId: string, achievementId: string): string {
  const hex = createHash('sha256').update(`${clientId}\u0000${achievementId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The `achievements.unlocked.v1` value (CONTRACT §2). */
export function unlockedMessage(unlock: AchievementUnlocked) {
  return {
    unlockId: unlockIdOf(unlock.clientId, unlock.achievementId),
    clientId: unlock.clientId,
    achievementId: unlock.achievementId,
    unlockedAt: unlock.unlockedAt,
    sourceEventId: unlock.sourceEventId,
    points: unlock.points,
  };
}
