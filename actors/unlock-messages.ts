import { createHash } from 'node:crypto';
import type { Catalog } from './rules/catalog.js';
import type { AchievementUnlocked } from './rules/decide.js';

/** The language of push notifications: the engine does not know each client's, so the bank's own. */
export const NOTIFICATION_LOCALE = 'uk';

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

/** The `notifications.push.v1` value: localized title and body and a deep link, never a URL or card data. */
export function unlockNotification(unlock: AchievementUnlocked, catalog: Catalog) {
  const achievement = catalog.achievements.get(unlock.achievementId);
  if (!achievement) throw new Error(`achievement ${unlock.achievementId} is not in the catalog`);
  const { title, description } = achievement.level;
  return {
    notificationId: `${unlockIdOf(unlock.clientId, unlock.achievementId)}:unlocked`,
    clientId: unlock.clientId,
    kind: 'achievement.unlocked' as const,
    achievementId: unlock.achievementId,
    title: title[NOTIFICATION_LOCALE] ?? title.en!,
    body: description[NOTIFICATION_LOCALE] ?? description.en!,
    locale: NOTIFICATION_LOCALE,
    deepLink: `app://achievements/${unlock.achievementId}`,
  };
}
