import type pg from 'pg';
import type { SimulatedRecord } from '../simulator/traffic.js';

/**
 * (c) The design the bank considered first: every transaction inserted into PostgreSQL and every rule of the
 * catalog evaluated by SQL on each event. The queries mirror the default catalog; per-client order is kept by
 * giving each client to one of `workers` connections.
 */
const SCHEMA = `
  CREATE TABLE tx (id text PRIMARY KEY, client_id text NOT NULL, kind text NOT NULL, amount bigint NOT NULL,
    currency text NOT NULL, time timestamptz NOT NULL, category int NOT NULL, merchant text NOT NULL,
    country text, original_id text);
  CREATE INDEX tx_client_time ON tx (client_id, time);
  CREATE INDEX tx_original ON tx (original_id) WHERE original_id IS NOT NULL;
  CREATE TABLE client_events (id text PRIMARY KEY, client_id text NOT NULL, type text NOT NULL,
    time timestamptz NOT NULL, attributes jsonb NOT NULL);
  CREATE TABLE unlocks (client_id text, achievement_id text, unlocked_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, achievement_id));`;

const NOT_REFUNDED = `NOT EXISTS (SELECT 1 FROM tx r WHERE r.kind = 'refund' AND r.original_id = t.id)`;
const SAME_MONTH = `date_trunc('month', t.time AT TIME ZONE 'Europe/Kyiv') = date_trunc('month', $2::timestamptz AT TIME ZONE 'Europe/Kyiv')`;

/** One query per rule, each answering the rule's measure for the client at the event's time. */
const RULE_QUERIES: { achievements: [string, number][]; sql: string }[] = [
  {
    achievements: [['first-purchase', 1]],
    sql: `SELECT count(*) AS v FROM (SELECT 1 FROM tx t WHERE client_id = $1 AND kind = 'purchase' AND $2::timestamptz IS NOT NULL LIMIT 1) f`,
  },
  {
    achievements: [['coffee-lover', 10]],
    sql: `SELECT count(*) AS v FROM tx t WHERE client_id = $1 AND kind = 'purchase' AND category = 5814 AND ${SAME_MONTH} AND ${NOT_REFUNDED}`,
  },
  {
    achievements: [
      ['big-spender-bronze', 500_000],
      ['big-spender-silver', 2_000_000],
      ['big-spender-gold', 5_000_000],
    ],
    sql: `SELECT coalesce(sum(amount), 0) AS v FROM tx t WHERE client_id = $1 AND kind = 'purchase' AND currency = 'UAH' AND ${SAME_MONTH} AND ${NOT_REFUNDED}`,
  },
  {
    achievements: [['globetrotter', 3]],
    sql: `SELECT count(DISTINCT country) AS v FROM tx t WHERE client_id = $1 AND kind = 'purchase' AND time BETWEEN $2::timestamptz - interval '365 days' AND $2::timestamptz AND ${NOT_REFUNDED}`,
  },
  {
    achievements: [['week-streak', 7]],
    sql: `SELECT count(DISTINCT (time AT TIME ZONE 'Europe/Kyiv')::date) AS v FROM tx t WHERE client_id = $1 AND kind = 'purchase' AND time > $2::timestamptz - interval '7 days' AND time <= $2::timestamptz AND ${NOT_REFUNDED}`,
  },
];

async function unlock(client: pg.PoolClient, clientId: string, achievementId: string, time: string) {
  await client.query('INSERT INTO unlocks VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
    clientId,
    achievementId,
    time,
  ]);
}

async function apply(client: pg.PoolClient, record: SimulatedRecord) {
  await client.query('BEGIN');
  if (record.topic === 'client-events') {
    const e = record.value;
    await client.query('INSERT INTO client_events VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
      e.id,
      e.clientId,
      e.type,
      e.time,
      JSON.stringify(e.attributes),
    ]);
    if (e.type === 'profile.updated' && e.attributes.complete === true)
      await unlock(client, e.clientId, 'profile-complete', e.time);
    if (e.type === 'contacts.synced') await unlock(client, e.clientId, 'contacts-synced', e.time);
  } else {
    const t = record.value;
    const inserted = await client.query(
      'INSERT INTO tx VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id',
      [
        t.id,
        t.clientId,
        t.kind,
        t.amount,
        t.currency,
        t.time,
        t.categoryId,
        t.merchantId,
        t.geo?.country ?? null,
        t.originalId ?? null,
      ],
    );
    if (inserted.rowCount === 1 && t.kind === 'purchase') {
      for (const rule of RULE_QUERIES) {
        const { rows } = await client.query<{ v: string }>(rule.sql, [t.clientId, t.time]);
        for (const [achievementId, target] of rule.achievements) {
          if (Number(rows[0]!.v) >= target) await unlock(client, t.clientId, achievementId, t.time);
        }
      }
    }
  }
  await client.query('COMMIT');
}

/** Runs the SQL design over `records`; answers events per second. */
export async function measureSqlBaseline(
  db: pg.Pool,
  records: SimulatedRecord[],
  workers = 6,
): Promise<number> {
  await db.query(SCHEMA);
  const lanes: SimulatedRecord[][] = Array.from({ length: workers }, () => []);
  for (const record of records) {
    const id = record.value.clientId;
    lanes[Number(id.slice(id.lastIndexOf('-') + 1)) % workers]!.push(record);
  }
  const started = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      const client = await db.connect();
      try {
        for (const record of lane) await apply(client, record);
      } finally {
        client.release();
      }
    }),
  );
  return records.length / ((performance.now() - started) / 1000);
}
