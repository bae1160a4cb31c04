import type pg from 'pg';
import type { Catalog } from '../rules/catalog.js';
import { nudgeDay, nudgeVerdict } from '../rules/nudge-policy.js';
import type { ProgressNudged } from '../rules/nudges.js';
import { progressPush } from '../rules/push.js';
import { writeOutbox } from './engine-state.js';
import { logger } from './logger.js';
import { inTransaction } from './postgres.js';
import { derivedUuid } from './unlock-records.js';

/** The id of a progress point crossed: one per client, achievement, occurrence and point, however often. */
export const nudgeIdOf = (nudge: ProgressNudged) =>
  derivedUuid([nudge.clientId, nudge.achievementId, nudge.occurrence, 'nudge', String(nudge.threshold)]);

/**
 * Stores a batch's nudges, in its transaction, due from their event's time; a point crossed before (a replay, a
 * refund) is kept as it was.
 */
export async function storeNudges(client: pg.PoolClient, nudged: ProgressNudged[]) {
  if (nudged.length === 0) return;
  await client.query(
    `INSERT INTO nudges (nudge_id, client_id, achievement_id, occurrence, threshold, current, target,
                         source_event_id, event_at, due_at)
     SELECT *, event_at FROM json_to_recordset($1::json) AS n (nudge_id uuid, client_id text, achievement_id text,
              occurrence text, threshold bigint, current bigint, target bigint, source_event_id text,
              event_at timestamptz)
     ON CONFLICT (nudge_id) DO NOTHING`,
    [
      JSON.stringify(
        nudged.map((n) => ({
          nudge_id: nudgeIdOf(n),
          client_id: n.clientId,
          achievement_id: n.achievementId,
          occurrence: n.occurrence,
          threshold: n.threshold,
          current: n.current,
          target: n.target,
          source_event_id: n.sourceEventId,
          event_at: n.at,
        })),
      ),
    ],
  );
}

interface DueNudge {
  nudge_id: string;
  client_id: string;
  achievement_id: string;
  current: string;
  target: string;
  event_at: Date;
  reached: boolean;
}

export interface NudgeDispatch {
  db: pg.Pool;
  zone: string;
  catalog: () => Catalog;
  pushTopic: string;
}

/** One dispatcher at a time decides, so two workers never both spend a client's last nudge of the day. */
const DISPATCHER_LOCK = 'nudge-dispatcher';
const BATCH = 200;

/**
 * Decides every nudge due at `nowMs` (rules/nudge-policy.ts): sends it through the outbox, holds it until
 * morning, or drops it saying why, all in one transaction. Answers how many of each.
 */
export async function dispatchNudges(ports: NudgeDispatch, nowMs: number) {
  return inTransaction(ports.db, async (client) => {
    const counts = { sent: 0, held: 0, dropped: 0 };
    const { rows: locked } = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok',
      [DISPATCHER_LOCK],
    );
    if (!locked[0]!.ok) return counts;
    const { rows } = await client.query<DueNudge>(
      `SELECT n.nudge_id, n.client_id, n.achievement_id, n.current, n.target, n.event_at,
              EXISTS (SELECT 1 FROM achievement_unlocks a WHERE a.client_id = n.client_id
                         AND a.achievement_id = n.achievement_id AND a.occurrence = n.occurrence) AS reached
         FROM nudges n WHERE n.status = 'pending' AND n.due_at <= $1 ORDER BY n.due_at, n.nudge_id LIMIT $2`,
      [new Date(nowMs), BATCH],
    );
    if (rows.length === 0) return counts;
    const day = nudgeDay(nowMs, ports.zone);
    const sentToday = await sentOn(client, day, [...new Set(rows.map((row) => row.client_id))]);
    for (const row of rows) {
      const today = sentToday.get(row.client_id) ?? 0;
      const verdict = nudgeVerdict(
        { eventAtMs: row.event_at.getTime(), reached: row.reached, sentToday: today },
        nowMs,
        ports.zone,
      );
      if (verdict.action === 'send') {
        await send(client, ports, row, nowMs, day);
        sentToday.set(row.client_id, today + 1);
        counts.sent++;
      } else if (verdict.action === 'hold') {
        await client.query('UPDATE nudges SET due_at = $2 WHERE nudge_id = $1', [
          row.nudge_id,
          new Date(verdict.untilMs),
        ]);
        counts.held++;
      } else {
        await client.query(`UPDATE nudges SET status = 'dropped', dropped_because = $2 WHERE nudge_id = $1`, [
          row.nudge_id,
          verdict.reason,
        ]);
        counts.dropped++;
      }
    }
    return counts;
  });
}

/** How many nudges each of these clients was sent on local `day`. */
async function sentOn(client: pg.PoolClient, day: number, clientIds: string[]) {
  const { rows } = await client.query<{ client_id: string; n: number }>(
    `SELECT client_id, count(*)::int AS n FROM nudges
      WHERE status = 'sent' AND sent_day = $1 AND client_id = ANY($2) GROUP BY client_id`,
    [day, clientIds],
  );
  return new Map(rows.map((row) => [row.client_id, row.n]));
}

async function send(client: pg.PoolClient, ports: NudgeDispatch, row: DueNudge, nowMs: number, day: number) {
  const push = progressPush(
    {
      nudgeId: row.nudge_id,
      clientId: row.client_id,
      achievementId: row.achievement_id,
      current: Number(row.current),
      target: Number(row.target),
    },
    ports.catalog(),
  );
  await writeOutbox(client, [{ topic: ports.pushTopic, key: row.client_id, value: push }]);
  await client.query(`UPDATE nudges SET status = 'sent', sent_at = $2, sent_day = $3 WHERE nudge_id = $1`, [
    row.nudge_id,
    new Date(nowMs),
    day,
  ]);
}

/** Dispatches due nudges every `intervalMs` until stopped; a failed pass is logged and tried again. */
export function startNudgeDispatcher(ports: NudgeDispatch, intervalMs = 5_000): () => Promise<void> {
  const log = logger('nudges');
  let pass: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    pass = dispatchNudges(ports, Date.now())
      .then((counts) => {
        if (counts.sent + counts.held + counts.dropped > 0) log.info(counts, 'nudges dispatched');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'nudges not dispatched; trying again'));
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await pass;
  };
}
