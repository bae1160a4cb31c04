import { createHash } from 'node:crypto';
import type { Catalog } from '../rules/catalog.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import { unlockPush } from '../rules/push.js';

/** Where unlock records go: CONTRACT §2's topics (after the configured prefix), or a test's own. */
export interface OutputTopics {
  unlocked: string;
  notifications: string;
}

/** An unlock after its rule's budget (budget-store.ts): as decided, or past the budget with no points or partner. */
export type BudgetedUnlock = AchievementUnlocked & { beyondBudget?: true };

/** A record to publish through the outbox. */
export interface OutboxRecord {
  topic: string;
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

/** An unlock with its stable id and the records that announce it. */
export interface UnlockOutput {
  unlock: BudgetedUnlock;
  unlockId: string;
  records: OutboxRecord[];
}

/** A name-based UUID (version 5's layout, SHA-256): the same parts always give the same id. */
export function derivedUuid(parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A UUID derived from the client, the achievement and, for one that repeats, the occurrence: each earning
 * unlocks once, so its id never changes (and an achievement earned once keeps the id it always had).
 */
export const unlockIdOf = (clientId: string, achievementId: string, occurrence?: string): string =>
  derivedUuid(occurrence === undefined ? [clientId, achievementId] : [clientId, achievementId, occurrence]);

/** The `achievements.unlocked.v1` value (CONTRACT §2); `beyondBudget` only past the rule's budget. */
export function unlockedMessage(unlock: BudgetedUnlock) {
  return {
    unlockId: unlockIdOf(unlock.clientId, unlock.achievementId, unlock.occurrence),
    clientId: unlock.clientId,
    achievementId: unlock.achievementId,
    unlockedAt: unlock.unlockedAt,
    sourceEventId: unlock.sourceEventId,
    points: unlock.points,
    ruleId: unlock.ruleId,
    ruleVersion: unlock.ruleVersion,
    occurrence: unlock.occurrence ?? null,
    ...(unlock.beyondBudget ? { beyondBudget: true } : {}),
  };
}

/** The unlock records and pushes of a batch's unlocks (a pure step: the store only writes them). */
export function unlockOutputs(
  unlocked: BudgetedUnlock[],
  catalog: Catalog,
  outputs: OutputTopics,
): UnlockOutput[] {
  return unlocked.map((unlock) => {
    const unlockId = unlockIdOf(unlock.clientId, unlock.achievementId, unlock.occurrence);
    return {
      unlock,
      unlockId,
      records: [
        { topic: outputs.unlocked, key: unlock.clientId, value: unlockedMessage(unlock) },
        {
          topic: outputs.notifications,
          key: unlock.clientId,
          value: unlockPush({ ...unlock, unlockId }, catalog),
        },
      ],
    };
  });
}
