import type { Catalog } from './catalog.js';
import { clientTextProblem } from './client-text.js';
import { MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH } from './rule-schema.js';

/** The language of push notifications: the engine does not know each client's, so the bank's own. */
export const NOTIFICATION_LOCALE = 'uk';

/** A `notifications.push.v1` value (CONTRACT §2): a deep link, never an http(s) URL, card or account data. */
export interface PushNotification {
  notificationId: string;
  clientId: string;
  kind: 'achievement.unlocked' | 'achievement.progress' | 'reward.fulfilled';
  achievementId: string;
  title: string;
  body: string;
  locale: string;
  deepLink: string;
}

const REWARD_READY: Record<string, string> = {
  uk: 'Ваша винагорода від партнера готова в застосунку.',
  en: 'Your partner reward is ready in the app.',
  he: 'הפרס מהשותף מחכה לכם באפליקציה.',
};

const ACHIEVEMENT_UNLOCKED: Record<string, string> = {
  uk: 'Нове досягнення чекає на вас у застосунку.',
  en: 'A new achievement is waiting for you in the app.',
  he: 'הישג חדש מחכה לכם באפליקציה.',
};

const deepLink = (achievementId: string) => `app://achievements/${achievementId}`;

/**
 * The last check before a text leaves for a phone: rule texts were checked when written (and stored ones when
 * the catalog was built), so this only matters if one slipped past both; then the push says `fallback` instead.
 */
const pushable = (text: string | undefined, max: number, fallback: string) =>
  text !== undefined && text.length <= max && clientTextProblem(text) === undefined ? text : fallback;

/** The push telling a client an achievement unlocked, with its localized title and description. */
export function unlockPush(
  unlock: { unlockId: string; clientId: string; achievementId: string },
  catalog: Catalog,
): PushNotification {
  const achievement = catalog.achievements.get(unlock.achievementId);
  if (!achievement) throw new Error(`achievement ${unlock.achievementId} is not in the catalog`);
  const { title, description } = achievement.level;
  return {
    notificationId: `${unlock.unlockId}:unlocked`,
    clientId: unlock.clientId,
    kind: 'achievement.unlocked',
    achievementId: unlock.achievementId,
    title: pushable(title[NOTIFICATION_LOCALE] ?? title.en, MAX_TITLE_LENGTH, unlock.achievementId),
    body: pushable(
      description[NOTIFICATION_LOCALE] ?? description.en,
      MAX_DESCRIPTION_LENGTH,
      ACHIEVEMENT_UNLOCKED[NOTIFICATION_LOCALE]!,
    ),
    locale: NOTIFICATION_LOCALE,
    deepLink: deepLink(unlock.achievementId),
  };
}

/**
 * The push telling a client a partner's reward is ready: no voucher code in it, the app shows that. A reward
 * outlives catalog changes, so an achievement no longer in the catalog is named by its id.
 */
export function rewardFulfilledPush(
  reward: { rewardId: string; clientId: string; achievementId: string },
  catalog: Catalog,
): PushNotification {
  const title = catalog.achievements.get(reward.achievementId)?.level.title;
  return {
    notificationId: `${reward.rewardId}:reward-fulfilled`,
    clientId: reward.clientId,
    kind: 'reward.fulfilled',
    achievementId: reward.achievementId,
    title: pushable(title?.[NOTIFICATION_LOCALE] ?? title?.en, MAX_TITLE_LENGTH, reward.achievementId),
    body: REWARD_READY[NOTIFICATION_LOCALE]!,
    locale: NOTIFICATION_LOCALE,
    deepLink: deepLink(reward.achievementId),
  };
}

const STEPS_TO_GO: Record<string, (left: number) => string> = {
  uk: (left) => `Залишилось ${left} — і досягнення ваше.`,
  en: (left) => `${left} to go and it is yours.`,
  he: (left) => `עוד ${left} וההישג שלכם.`,
};

const SHARE_DONE: Record<string, (percent: number) => string> = {
  uk: (percent) => `Ви пройшли ${percent}% шляху до досягнення.`,
  en: (percent) => `You are ${percent}% of the way there.`,
  he: (percent) => `עברתם ${percent}% מהדרך.`,
};

/**
 * The push telling a client how close an achievement is (a nudge, rules/nudges.ts): steps to go for what is
 * counted, the share done for a sum (an amount in minor units says little on a phone).
 */
export function progressPush(
  nudge: { nudgeId: string; clientId: string; achievementId: string; current: number; target: number },
  catalog: Catalog,
): PushNotification {
  const achievement = catalog.achievements.get(nudge.achievementId);
  const title = achievement?.level.title;
  const body =
    achievement?.rule.measure.type === 'sum'
      ? SHARE_DONE[NOTIFICATION_LOCALE]!(Math.floor((100 * nudge.current) / nudge.target))
      : STEPS_TO_GO[NOTIFICATION_LOCALE]!(nudge.target - nudge.current);
  return {
    notificationId: `${nudge.nudgeId}:progress`,
    clientId: nudge.clientId,
    kind: 'achievement.progress',
    achievementId: nudge.achievementId,
    title: pushable(title?.[NOTIFICATION_LOCALE] ?? title?.en, MAX_TITLE_LENGTH, nudge.achievementId),
    body,
    locale: NOTIFICATION_LOCALE,
    deepLink: deepLink(nudge.achievementId),
  };
}
