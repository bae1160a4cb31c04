/**
 * What the reward workflow shares with its callers (the starter, the API, operations): its input, its
 * status, and the names of its signals, query and search attributes as they appear in the Temporal UI.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface RewardInput {
  /** The unlock's opaque id: what partners see, unlike the workflow id, which names the client. */
  rewardId: string;
  workflowId: string;
  clientId: string;
  achievementId: string;
  points: number;
  partnerId: string | null;
  /** How long to wait for the partner's callback (PARTNER_CALLBACK_TIMEOUT), fixed when the reward started. */
  callbackTimeoutMs: number;
  /** How long to keep asking a partner that does not answer (PARTNER_RETRY_WINDOW) before the reward fails. */
  partnerRetryMs: number;
  /** False when the client is not to be told (a backfill awarding silently); absent means told. */
  notify?: boolean;
  /** When the achievement unlocked: an erasure of the client after it stops the reward (CONTRACT §7). */
  unlockedAt?: string;
}

export type RewardStatus =
  'granting' | 'granted' | 'requested' | 'fulfilled' | 'rejected' | 'timed_out' | 'cancelled' | 'failed';

export interface RewardState {
  status: RewardStatus;
  voucherCode: string | null;
  reason: string | null;
}

export interface PartnerCallback {
  status: 'fulfilled' | 'rejected';
  voucherCode?: string;
  reason?: string;
}

/**
 * The task queue of one partner's requests, beside the reward queue: its own workers, bounded in concurrency
 * and rate, call that partner, so a partner down holds up no one's points and no other partner.
 */
export const partnerTaskQueue = (rewardTaskQueue: string, partnerId: string) =>
  `${rewardTaskQueue}-partner-${partnerId}`;

/**
 * `reward-<clientId>-<achievementId>`, and `…@<occurrence>` for each earning of a repeating achievement
 * (CONTRACT §5): a business key, so starting twice is impossible. `@` is in no achievement id.
 */
export const rewardWorkflowId = (clientId: string, achievementId: string, occurrence?: string | null) =>
  `reward-${clientId}-${achievementId}${occurrence ? `@${occurrence}` : ''}`;

export const partnerCallbackSignal = defineSignal<[PartnerCallback]>('partnerCallback');
export const resendPartnerRequestSignal = defineSignal('resendPartnerRequest');
export const cancelRewardSignal = defineSignal<[string]>('cancelReward');
export const rewardStatusQuery = defineQuery<RewardState>('rewardStatus');

export const SEARCH_ATTRIBUTES = {
  clientId: defineSearchAttributeKey('clientId', SearchAttributeType.KEYWORD),
  achievementId: defineSearchAttributeKey('achievementId', SearchAttributeType.KEYWORD),
  partnerId: defineSearchAttributeKey('partnerId', SearchAttributeType.KEYWORD),
  rewardStatus: defineSearchAttributeKey('rewardStatus', SearchAttributeType.KEYWORD),
};
