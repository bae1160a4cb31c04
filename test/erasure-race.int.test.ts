import type pg from 'pg';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientErasure } from '../api/client-erasure.js';
import { buildCatalog } from '../rules/catalog.js';
import { createActivities } from '../workflows/activities.js';
import type { RewardInput } from '../workflows/reward-contract.js';
import { eventually } from './support/engine.js';
import { temporalClient } from './support/replays.js';
import { migratedSchema, uniqueName } from './support/stack.js';

/**
 * A reward activity writing for a client while an erasure of that client is under way (CONTRACT §7): whichever
 * commits first, nothing naming the client is left once the erasure is done. The erasure is held in the middle
 * of its transaction (after it deleted the rewards and the tier, before it commits) by a row lock the test
 * takes, so the activity's write lands exactly in the window that a check without the client's lock misses.
 */
describe('an erasure racing a reward activity of the same client', () => {
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let temporal: Awaited<ReturnType<typeof temporalClient>>;
  const activities = () =>
    createActivities({
      db: db.pool,
      producer: {} as Producer,
      catalog: () => buildCatalog([]),
      pointsExpiryMs: 365 * 86_400_000,
      tiers: { silver: 1_000, gold: 5_000 },
      pushTopic: 'unused',
    });

  beforeAll(async () => {
    db = await migratedSchema();
    temporal = await temporalClient();
  });
  afterAll(async () => {
    await temporal?.close();
    await db?.drop();
  });

  const rewardOf = (clientId: string, achievementId: string): RewardInput => ({
    rewardId: uniqueName('reward'),
    workflowId: `reward-${clientId}-${achievementId}`,
    clientId,
    achievementId,
    points: 50,
    partnerId: null,
    callbackTimeoutMs: 60_000,
    partnerRetryMs: 60_000,
    unlockedAt: new Date(Date.now() - 60_000).toISOString(),
  });

  /** Erases the client while `during` runs inside the erasure's transaction, then lets the erasure commit. */
  async function eraseAround(clientId: string, during: () => Promise<unknown>) {
    // The erasure deletes the client's tier changes after their rewards and tier: a lock on one holds it there.
    await db.pool.query(
      `INSERT INTO loyalty_tier_changes (client_id, from_tier, to_tier, earned_12m) VALUES ($1, NULL, 'bronze', 0)`,
      [clientId],
    );
    const holder: pg.PoolClient = await db.pool.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM loyalty_tier_changes WHERE client_id = $1 FOR UPDATE', [clientId]);
    const erasure = clientErasure(db.pool, temporal.client, uniqueName('erasures')).erase(clientId, {
      actorId: 'emp-1',
      actorRole: 'admin',
      action: 'client.erase',
      reason: 'race test',
    });
    await waitUntilBlocked();
    const write = during();
    // The write has begun and waits (on the client's lock, or on the rows the erasure deleted) before the
    // erasure commits.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await holder.query('COMMIT');
    holder.release();
    await erasure;
    await write;
  }

  /** Until the erasure's transaction waits on the test's row lock. */
  const waitUntilBlocked = () =>
    eventually(
      async () =>
        (
          await db.pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM loyalty_tier_changes%'`,
          )
        ).rows[0]!.n,
      (waiting) => Number(waiting) > 0,
      10_000,
      20,
    );

  const named = async (clientId: string) =>
    (
      await db.pool.query<{ rewards: string; ledger: string; tiers: string }>(
        `SELECT (SELECT count(*) FROM rewards WHERE client_id = $1) AS rewards,
                (SELECT count(*) FROM loyalty_ledger WHERE client_id = $1) AS ledger,
                (SELECT count(*) FROM loyalty_tiers WHERE client_id = $1) AS tiers`,
        [clientId],
      )
    ).rows[0];

  it('a reward status recorded during the erasure is not written back', async () => {
    const clientId = uniqueName('c');
    const reward = rewardOf(clientId, 'coffee-lover');
    await activities().recordReward({ ...reward, status: 'requested', voucherCode: null, reason: null });
    await eraseAround(clientId, () =>
      activities().recordReward({ ...reward, status: 'fulfilled', voucherCode: 'V-1', reason: null }),
    );
    expect(await named(clientId)).toEqual({ rewards: '0', ledger: '0', tiers: '0' });
  });

  it('points granted during the erasure are not granted, and no tier names the client', async () => {
    const clientId = uniqueName('c');
    await activities().grantPoints(rewardOf(clientId, 'first-purchase'));
    expect(await named(clientId)).toEqual({ rewards: '0', ledger: '1', tiers: '1' });
    let erased: boolean | undefined;
    await eraseAround(clientId, async () => {
      erased = await activities().grantPoints(rewardOf(clientId, 'coffee-lover'));
    });
    expect(erased).toBe(true);
    expect(await named(clientId)).toEqual({ rewards: '0', ledger: '0', tiers: '0' });
  });
});
