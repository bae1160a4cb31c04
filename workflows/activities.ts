import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { Catalog } from '../rules/catalog.js';
import { rewardFulfilledPush } from '../rules/push.js';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import {
  appendEntry,
  erasedClients,
  erasedSince,
  expireDueGrants,
  isErasedSince,
  recomputeTier,
  underClientLock,
} from './ledger.js';
import type { RewardInput, RewardState } from './reward-contract.js';
import type { TierThresholds } from './tiers.js';

export interface ActivityDependencies {
  db: pg.Pool;
  producer: Producer;
  /** The texts of every achievement ever live, as current as the rule book. */
  catalog: () => Catalog;
  pointsExpiryMs: number;
  tiers: TierThresholds;
  /** Where the client's push goes (`notifications.push.v1`). */
  pushTopic: string;
}

/**
 * The reward activities: short PostgreSQL and Kafka writes, run as local activities of the reward workflow.
 * Built from their dependencies so tests and the worker wire their own.
 */
export function createActivities(deps: ActivityDependencies) {
  const log = logger('rewards');
  /** A reward's lines carry its unlock's correlation id; not its workflow id, which holds the client id. */
  const about = (input: RewardInput) => ({ correlationId: input.rewardId });
  /** Stores the reward's status, in the caller's transaction holding the client's lock. */
  const storeReward = async (client: pg.PoolClient, reward: RewardInput & RewardState) => {
    await client.query(
      `INSERT INTO rewards
       (reward_id, workflow_id, client_id, achievement_id, points, partner_id, status, voucher_code, reason)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE NOT ${erasedSince('$3', '$10::timestamptz')}
     ON CONFLICT (reward_id) DO UPDATE
       SET status = $7, voucher_code = $8, reason = $9, updated_at = now()`,
      [
        reward.rewardId,
        reward.workflowId,
        reward.clientId,
        reward.achievementId,
        reward.points,
        reward.partnerId,
        reward.status,
        reward.voucherCode,
        reward.reason,
        reward.unlockedAt ?? null,
      ],
    );
  };
  const recorded = (reward: RewardInput & RewardState) => {
    metrics.rewardStatuses.inc({ status: reward.status, partner: reward.partnerId ?? 'none' });
    log.info({ ...about(reward), status: reward.status, reason: reward.reason }, 'reward status recorded');
  };
  /** Grants the unlock's points once (the idempotency key is the reward id); true when the client was erased. */
  const grant = async (client: pg.PoolClient, input: RewardInput) => {
    const erasures = await erasedClients(client, [input.clientId]);
    if (isErasedSince(erasures.get(input.clientId), input.unlockedAt)) return true;
    await appendEntry(client, {
      clientId: input.clientId,
      kind: 'grant',
      points: input.points,
      idempotencyKey: `grant:${input.rewardId}`,
      reference: input.achievementId,
      expiresAt: new Date(Date.now() + deps.pointsExpiryMs),
      ...(input.unlockedAt ? { earnedAt: input.unlockedAt } : {}),
    });
    await recomputeTier(client, input.clientId, deps.tiers);
    return false;
  };
  const granted = (input: RewardInput, erased: boolean) => {
    if (erased) log.info(about(input), 'no points granted: the client was erased after the unlock');
    else log.info({ ...about(input), points: input.points }, 'points granted');
  };
  return {
    /**
     * Grants the unlock's points once, whatever the retries (the idempotency key is the reward id); answers
     * true, granting nothing, when the client was erased after the unlock.
     */
    async grantPoints(input: RewardInput): Promise<boolean> {
      const erased = await underClientLock(deps.db, input.clientId, (client) => grant(client, input));
      granted(input, erased);
      return erased;
    },

    /**
     * `grantPoints` and the reward's first status (`granted`, or `requested` of a partner) in one transaction:
     * one round trip of the reward's busiest path fewer. Answers true, storing nothing, for an erased client.
     */
    async grantReward(reward: RewardInput & RewardState): Promise<boolean> {
      const erased = await underClientLock(deps.db, reward.clientId, async (client) => {
        if (await grant(client, reward)) return true;
        await storeReward(client, reward);
        return false;
      });
      granted(reward, erased);
      if (!erased) recorded(reward);
      return erased;
    },

    /** Stores the reward's current status where the app and the callback checks read it. */
    async recordReward(reward: RewardInput & RewardState): Promise<void> {
      await underClientLock(deps.db, reward.clientId, (client) => storeReward(client, reward));
      recorded(reward);
    },

    /** Tells the client the partner's reward is ready: no URL, no voucher code, no card data in the push. */
    async notifyRewardFulfilled(input: RewardInput): Promise<void> {
      const notification = rewardFulfilledPush(input, deps.catalog());
      await deps.producer.send({
        topic: deps.pushTopic,
        messages: [{ key: input.clientId, value: JSON.stringify(notification) }],
      });
      log.info(about(input), 'client notified of the fulfilled reward');
    },

    /** Writes expiry entries for grants past their date and recomputes the affected clients' tiers. */
    async expireDuePoints(): Promise<number> {
      const clients = await expireDueGrants(deps.db);
      for (const clientId of clients)
        await underClientLock(deps.db, clientId, (client) => recomputeTier(client, clientId, deps.tiers));
      return clients.length;
    },
  };
}

export type RewardActivities = ReturnType<typeof createActivities>;
