import type { Producer } from 'kafkajs';
import type pg from 'pg';
import { inSnapshot, inTransaction } from '../platform/postgres.js';
import type { Actor } from './audit-log.js';
import { audit } from './audit-log.js';

export type RedriveStatus = 'asked' | 'accepted' | 'refused';

export interface DeadLetterListing {
  id: number;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  error: string;
  deadAt: string;
  /** Whether a redrive can make it count: a record of an input topic, kept whole, not accepted yet. */
  redrivable: boolean;
  /** Its newest redrive; who asked and when is null for one sent to the topic by other means. */
  redrive: {
    status: RedriveStatus;
    askedAt: string | null;
    askedBy: string | null;
    refusal: string | null;
  } | null;
}

export interface DeadLetterQuery {
  reason?: string;
  topic?: string;
  sinceMs: number;
  limit: number;
}

export interface DeadLetterOverview {
  /** Counts since the query's start by reason and source topic, and per UTC day (none left out). */
  byReason: { reason: string; topic: string; count: number }[];
  perDay: { day: string; count: number }[];
  letters: DeadLetterListing[];
}

export interface RedriveResult {
  redriven: number[];
  refused: { id: number; why: string }[];
}

/** Dead letters as operations browse them, and their redrive through the engine's own topic. */
export interface DeadLetterStore {
  overview(query: DeadLetterQuery): Promise<DeadLetterOverview>;
  /** One dead letter with its DLQ record (the original key, value and headers); undefined when unknown. */
  one(id: number): Promise<(DeadLetterListing & { record: unknown }) | undefined>;
  redrive(ids: number[], actor: Actor, reason: string): Promise<RedriveResult>;
}

interface Row {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  error: string;
  dead_at: Date;
  record: string;
  redrive_asked_at: Date | null;
  redrive_asked_by: string | null;
  redrive_refusal: string | null;
  truncated: boolean;
  accepted: boolean;
}

const COLUMNS = `d.id, d.topic, d.partition, d."offset"::text AS "offset", d.reason, d.error, d.dead_at, d.record,
  d.redrive_asked_at, d.redrive_asked_by, d.redrive_refusal, d.truncated,
  EXISTS (SELECT 1 FROM redriven_records r
           WHERE r.topic = d.topic AND r.partition = d.partition AND r."offset" = d."offset") AS accepted`;

function statusOf(row: Row): RedriveStatus {
  if (row.accepted) return 'accepted';
  return row.redrive_refusal === null ? 'asked' : 'refused';
}

/** Whether a redrive can make it count (see `DeadLetterListing.redrivable`). */
const redrivable = (row: Row, inputTopics: ReadonlySet<string>) =>
  inputTopics.has(row.topic) && !row.truncated && !row.accepted;

function listing(row: Row, inputTopics: ReadonlySet<string>): DeadLetterListing {
  return {
    id: Number(row.id),
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    reason: row.reason,
    error: row.error,
    deadAt: row.dead_at.toISOString(),
    redrivable: redrivable(row, inputTopics),
    redrive:
      row.redrive_asked_at === null && !row.accepted
        ? null
        : {
            status: statusOf(row),
            askedAt: row.redrive_asked_at?.toISOString() ?? null,
            askedBy: row.redrive_asked_by,
            refusal: row.redrive_refusal,
          },
  };
}

const DAY_MS = 86_400_000;

/** Each UTC day from `fromMs` to `toMs` with its count, a day without dead letters counting 0. */
function everyDay(fromMs: number, toMs: number, counts: Map<string, number>) {
  const days: { day: string; count: number }[] = [];
  for (let dayMs = fromMs - (fromMs % DAY_MS); dayMs <= toMs; dayMs += DAY_MS) {
    const day = new Date(dayMs).toISOString().slice(0, 10);
    days.push({ day, count: counts.get(day) ?? 0 });
  }
  return days;
}

/** The original's key, byte for byte, as the redrive record's (the engine reads the one inside). */
function redriveKey(record: string): Buffer | null {
  const { key, keyEncoding } = JSON.parse(record) as { key?: string | null; keyEncoding?: string };
  return key === undefined || key === null
    ? null
    : Buffer.from(key, keyEncoding === 'base64' ? 'base64' : 'utf8');
}

const whyNot = (row: Row | undefined, inputTopics: ReadonlySet<string>) => {
  if (!row) return 'no such dead letter';
  if (row.accepted) return 'the engine already accepted it; it counts once';
  if (!inputTopics.has(row.topic))
    return `records of ${row.topic} are not input records; nothing reads them again`;
  if (!redrivable(row, inputTopics)) return 'the original is larger than any input record may be';
  return undefined;
};

/**
 * PostgreSQL's index of the DLQ (written by the engine as it sets records aside) and a producer of the redrive
 * topic. A redrive sends the DLQ record to the partition its original came from, whose owner applies it.
 */
export function postgresDeadLetters(
  db: pg.Pool,
  producer: () => Promise<Producer>,
  topics: { inputs: string[]; redrive: string },
  nowMs = Date.now,
): DeadLetterStore {
  const inputTopics = new Set(topics.inputs);
  const filter = `d.dead_at >= $1 AND ($2::text IS NULL OR d.reason = $2) AND ($3::text IS NULL OR d.topic = $3)`;
  return {
    overview: async ({ reason, topic, sinceMs, limit }) => {
      const params = [new Date(sinceMs), reason ?? null, topic ?? null];
      // One snapshot: the counts and the list agree, however the engine writes meanwhile.
      const { byReason, perDay, letters } = await inSnapshot(db, async (client) => ({
        byReason: await client.query<{ reason: string; topic: string; count: string }>(
          `SELECT d.reason, d.topic, count(*) AS count FROM dead_letters d WHERE ${filter}
            GROUP BY 1, 2 ORDER BY 3 DESC`,
          params,
        ),
        perDay: await client.query<{ day: string; count: string }>(
          `SELECT to_char(date_trunc('day', d.dead_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*) AS count
             FROM dead_letters d WHERE ${filter} GROUP BY 1 ORDER BY 1`,
          params,
        ),
        letters: await client.query<Row>(
          `SELECT ${COLUMNS} FROM dead_letters d WHERE ${filter} ORDER BY d.id DESC LIMIT $4`,
          [...params, limit],
        ),
      }));
      return {
        byReason: byReason.rows.map((row) => ({ ...row, count: Number(row.count) })),
        perDay: everyDay(sinceMs, nowMs(), new Map(perDay.rows.map((row) => [row.day, Number(row.count)]))),
        letters: letters.rows.map((row) => listing(row, inputTopics)),
      };
    },
    one: async (id) => {
      const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM dead_letters d WHERE d.id = $1`, [id]);
      const row = rows[0];
      return row && { ...listing(row, inputTopics), record: JSON.parse(row.record) as unknown };
    },
    redrive: async (ids, actor, reason) => {
      const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM dead_letters d WHERE d.id = ANY ($1)`, [
        ids,
      ]);
      const byId = new Map(rows.map((row) => [Number(row.id), row]));
      const refused = ids.flatMap((id) => {
        const why = whyNot(byId.get(id), inputTopics);
        return why ? [{ id, why }] : [];
      });
      const chosen = ids.flatMap((id) => {
        const row = byId.get(id);
        return row && !whyNot(row, inputTopics) ? [row] : [];
      });
      if (chosen.length > 0) {
        // Asked before sent: the engine's answer, however soon it comes, is written over the ask, not under it.
        await inTransaction(db, async (client) => {
          await client.query(
            `UPDATE dead_letters SET redrive_asked_at = now(), redrive_asked_by = $2, redrive_refusal = NULL
              WHERE id = ANY ($1)`,
            [chosen.map((row) => row.id), actor.actorId],
          );
          await audit(client, actor, 'dead-letter.redrive', chosen.map((row) => row.id).join(','), reason);
        });
        await (
          await producer()
        ).send({
          topic: topics.redrive,
          messages: chosen.map((row) => ({
            partition: row.partition,
            key: redriveKey(row.record),
            value: row.record,
          })),
        });
      }
      return { redriven: chosen.map((row) => Number(row.id)), refused };
    },
  };
}
