import type pg from 'pg';
import { inTransaction } from '../platform/postgres.js';
import { tierFor, type TierThresholds } from './tiers.js';

export interface LedgerEntry {
  clientId: string;
  kind: 'grant' | 'expiry' | 'adjustment' | 'reversal';
  points: number;
  idempotencyKey: string;
  reference: string;
  expiresAt?: Date;
  /** When what it rewards happened (an unlock's time); an erasure after it refuses the entry. */
  earnedAt?: string;
}

/**
 * SQL true when client `$client` was erased after `$time` (CONTRACT §7): nothing earned before an erasure
 * is written for the client any more. A null time means "before any erasure".
 */
export const erasedSince = (client: string, time: string) =>
  `EXISTS (SELECT 1 FROM erased_clients WHERE client_id = ${client} AND erased_at > coalesce(${time}, '-infinity'))`;

/**
 * Appends an entry unless one with its idempotency key exists, or the client was erased after it was earned;
 * answers whether it was written now.
 */
export async function appendEntry(db: pg.Pool | pg.PoolClient, entry: LedgerEntry): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO loyalty_ledger (client_id, kind, points, idempotency_key, reference, expires_at)
     SELECT $1, $2, $3, $4, $5, $6 WHERE NOT ${erasedSince('$1', '$7::timestamptz')}
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      entry.clientId,
      entry.kind,
      entry.points,
      entry.idempotencyKey,
      entry.reference,
      entry.expiresAt ?? null,
      entry.earnedAt ?? null,
    ],
  );
  return rowCount === 1;
}

/** When each of these clients was erased (clients never erased are absent). */
export async function erasedClients(
  db: pg.Pool | pg.PoolClient,
  clientIds: string[],
): Promise<Map<string, Date>> {
  if (clientIds.length === 0) return new Map();
  const { rows } = await db.query<{ client_id: string; erased_at: Date }>(
    'SELECT client_id, erased_at FROM erased_clients WHERE client_id = ANY($1)',
    [clientIds],
  );
  return new Map(rows.map((row) => [row.client_id, row.erased_at]));
}

/** Whether an erasure (if any) came after `earnedAt` (an unlock's time; undefined: after any time). */
export const isErasedSince = (erasedAt: Date | undefined, earnedAt: string | undefined) =>
  erasedAt !== undefined && (earnedAt === undefined || erasedAt.getTime() > Date.parse(earnedAt));

/** The balance: the sum of every entry of the client. */
export async function balanceOf(db: pg.Pool, clientId: string): Promise<number> {
  const { rows } = await db.query<{ points: string }>(
    'SELECT coalesce(sum(points), 0) AS points FROM loyalty_ledger WHERE client_id = $1',
    [clientId],
  );
  return Number(rows[0]!.points);
}

/**
 * Runs `work` in a transaction holding the client's advisory lock, which an erasure takes too (CONTRACT §7):
 * a write checked against `erased_clients` under it either commits before the erasure (which then removes
 * it) or sees the erasure. Without it a grant or a reward status checked just before an erasure committed
 * could land just after it, naming the erased client again.
 */
export function underClientLock<T>(
  db: pg.Pool,
  clientId: string,
  work: (client: pg.PoolClient) => Promise<T>,
) {
  return inTransaction(db, async (client) => {
    await lockClient(client, clientId);
    return work(client);
  });
}

/** Takes the client's advisory lock until the end of the transaction `client` is in. */
export async function lockClient(client: pg.PoolClient, clientId: string) {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [clientId]);
}

/**
 * Recomputes the client's tier from grants of the last 12 months and records a change when there is one;
 * `client` holds the client's lock, so concurrent recomputations record each change once.
 */
export async function recomputeTier(client: pg.PoolClient, clientId: string, thresholds: TierThresholds) {
  const { rows } = await client.query<{ earned: string; tier: string | null }>(
    `SELECT (SELECT coalesce(sum(points), 0) FROM loyalty_ledger WHERE client_id = $1 AND kind = 'grant'
               AND occurred_at > now() - interval '12 months') AS earned,
            (SELECT tier FROM loyalty_tiers WHERE client_id = $1) AS tier`,
    [clientId],
  );
  const earned = Number(rows[0]!.earned);
  const tier = tierFor(earned, thresholds);
  await client.query(
    `INSERT INTO loyalty_tiers (client_id, tier, earned_12m) VALUES ($1, $2, $3)
     ON CONFLICT (client_id) DO UPDATE SET tier = $2, earned_12m = $3, updated_at = now()`,
    [clientId, tier, earned],
  );
  if (rows[0]!.tier !== tier) {
    await client.query(
      'INSERT INTO loyalty_tier_changes (client_id, from_tier, to_tier, earned_12m) VALUES ($1, $2, $3, $4)',
      [clientId, rows[0]!.tier, tier, earned],
    );
  }
}

/** Writes an expiry entry for every grant past its expiry date; answers the clients whose points expired. */
export async function expireDueGrants(db: pg.Pool): Promise<string[]> {
  const { rows } = await db.query<{ client_id: string }>(
    `INSERT INTO loyalty_ledger (client_id, kind, points, idempotency_key, reference)
     SELECT g.client_id, 'expiry', -g.points, 'expiry:' || g.id, g.idempotency_key FROM loyalty_ledger g
      WHERE g.kind = 'grant' AND g.expires_at <= now()
        AND NOT EXISTS (SELECT 1 FROM loyalty_ledger e WHERE e.idempotency_key = 'expiry:' || g.id)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING client_id`,
  );
  return [...new Set(rows.map((row) => row.client_id))];
}
