import type pg from 'pg';
import { NO_CONTEXT, type ClientContext } from '../rules/audience.js';
import type { Catalog } from '../rules/catalog.js';
import type { Holding, RecordPosition } from '../rules/holdings.js';
import type { ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import type { OutboxRecord, UnlockOutput } from './unlock-records.js';

/**
 * The engine's state tables as every writer of them sees them: clients' progress, unlocks and the outbox.
 * The processor writes them with each batch; a backfill's merge writes them for the clients it merged.
 */

/** An unlock a client holds, and where the record that earned it sits, when that was kept. */
export interface StoredHolding {
  holding: Holding;
  source: RecordPosition | undefined;
}

/**
 * Each client's unlocks of the given achievements, each achievement's in the order they were earned as far as
 * it is known (by their records' offsets, one rule's records being of one topic; those without one first, then
 * by time), with the points each was granted: what a replay of a rule is given of the other achievements it
 * reads (see rules/holdings.ts).
 */
export async function loadHoldings(
  db: pg.Pool,
  clientIds: string[],
  achievementIds: string[],
): Promise<Map<string, StoredHolding[]>> {
  const { rows } = await db.query<{
    client_id: string;
    achievement_id: string;
    occurrence: string;
    points: number;
    unlocked_at: Date;
    source_event_id: string;
    source_topic: string | null;
    source_offset: string | null;
  }>(
    `SELECT client_id, achievement_id, occurrence, points, unlocked_at, source_event_id, source_topic, source_offset
       FROM achievement_unlocks WHERE client_id = ANY($1) AND achievement_id = ANY($2)
      ORDER BY achievement_id, source_offset NULLS FIRST, unlocked_at`,
    [clientIds, achievementIds],
  );
  const holdings = new Map<string, StoredHolding[]>();
  for (const row of rows) {
    const of = holdings.get(row.client_id) ?? [];
    holdings.set(row.client_id, of);
    of.push({
      holding: {
        achievementId: row.achievement_id,
        ...(row.occurrence !== '' ? { occurrence: row.occurrence } : {}),
        at: row.unlocked_at.toISOString(),
        sourceEventId: row.source_event_id,
        points: row.points,
      },
      source:
        row.source_topic === null || row.source_offset === null
          ? undefined
          : { topic: row.source_topic, offset: row.source_offset },
    });
  }
  return holdings;
}

/** A client's progress with the version that only grows, so a late writer never overwrites newer progress. */
export interface StoredProgress {
  version: number;
  progress: ClientProgress;
}

/** What a client actor starts from: the stored progress (none for a client never seen) and its context. */
export interface StoredClient {
  stored: StoredProgress | undefined;
  context: ClientContext;
}

/**
 * A client's segments and erasure as `loadClients` and `loadContexts` select them. The segments are those it
 * had once the import numbered `$2` was made (today's when null): each segment the client is in today or an
 * import since changed, decided by the first such import (it removed the client: a member then; it added the
 * client: not) or else by today's membership. A replay from a checkpoint decides with what live processing had.
 */
const CONTEXT_COLUMNS = `(SELECT array_agg(segment_id ORDER BY segment_id)
                            FROM (SELECT segment_id FROM segment_members m WHERE m.client_id = ids.client_id
                                  UNION
                                  SELECT segment_id FROM segment_changes c
                                   WHERE c.seq > $2 AND ids.client_id = ANY (c.client_ids)) AS touched (segment_id)
                           WHERE coalesce(
                                   (SELECT ids.client_id = ANY (c.removed) FROM segment_changes c
                                     WHERE c.seq > $2 AND c.segment_id = touched.segment_id AND c.removed IS NOT NULL
                                       AND ids.client_id = ANY (c.client_ids)
                                     ORDER BY c.seq LIMIT 1),
                                   EXISTS (SELECT 1 FROM segment_members m
                                            WHERE m.segment_id = touched.segment_id AND m.client_id = ids.client_id)))
                           AS segments,
                         (SELECT erased_at FROM erased_clients e WHERE e.client_id = ids.client_id) AS erased_at`;

interface ContextRow {
  segments: string[] | null;
  erased_at: Date | null;
}

const contextOf = (row: ContextRow): ClientContext =>
  row.segments === null && row.erased_at === null
    ? NO_CONTEXT
    : {
        segments: row.segments ?? NO_CONTEXT.segments,
        ...(row.erased_at ? { erasedAtMs: row.erased_at.getTime() } : {}),
      };

/**
 * Loads many clients' stored progress, segments (as of the segment import `segmentsAsOf`, today's without it)
 * and erasure in one query (in a transaction's view, given its client).
 */
export async function loadClients(
  db: pg.Pool | pg.PoolClient,
  clientIds: string[],
  catalog: Catalog,
  segmentsAsOf?: number,
): Promise<Map<string, StoredClient>> {
  const { rows } = await db.query<
    { client_id: string; version: string | null; progress: ClientProgress | null } & ContextRow
  >(
    `SELECT ids.client_id, p.version, p.progress, ${CONTEXT_COLUMNS}
       FROM unnest($1::text[]) AS ids (client_id) LEFT JOIN client_progress p USING (client_id)`,
    [clientIds, segmentsAsOf ?? null],
  );
  return new Map(
    rows.map((row) => [
      row.client_id,
      {
        stored:
          row.progress === null
            ? undefined
            : { version: Number(row.version), progress: upgradeProgress(row.progress, catalog) },
        context: contextOf(row),
      },
    ]),
  );
}

/** Each of these clients' segments (as of the segment import `segmentsAsOf`, today's without it) and erasure. */
export async function loadContexts(
  db: pg.Pool | pg.PoolClient,
  clientIds: string[],
  segmentsAsOf?: number,
): Promise<Map<string, ClientContext>> {
  const { rows } = await db.query<{ client_id: string } & ContextRow>(
    `SELECT ids.client_id, ${CONTEXT_COLUMNS} FROM unnest($1::text[]) AS ids (client_id)`,
    [clientIds, segmentsAsOf ?? null],
  );
  return new Map(rows.map((row) => [row.client_id, contextOf(row)]));
}

/** When each erased client was erased (ms). */
export async function loadErasures(db: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await db.query<{ client_id: string; erased_at: Date }>(
    'SELECT client_id, erased_at FROM erased_clients',
  );
  return new Map(rows.map((row) => [row.client_id, row.erased_at.getTime()]));
}

/** One client's segments and erasure. */
export const loadContext = async (db: pg.Pool, clientId: string): Promise<ClientContext> =>
  (await loadContexts(db, [clientId])).get(clientId)!;

/**
 * Stores each client's progress, unless the stored one has the same or a newer version. The rows go as one JSON
 * document: a text array of JSON values would have node-postgres escape every quote of every progress again
 * (4 % of the processor's time, profiled).
 */
export async function writeProgress(client: pg.PoolClient, progress: ReadonlyMap<string, StoredProgress>) {
  await upsertProgress(client, progress);
}

/** `writeProgress` with its rows already serialized: `[{ "client_id", "version", "progress" }, …]`. */
export async function storeProgressRows(client: pg.PoolClient, rows: string) {
  await upsertRows(client, rows);
}

/**
 * Rows per statement: a checkpoint of a busy partition holds tens of thousands, and serializing them at once
 * would hold the processor's event loop (and every other partition's batches) for tens of milliseconds.
 */
const ROWS_PER_STATEMENT = 2_000;

async function upsertProgress(client: pg.PoolClient, progress: ReadonlyMap<string, StoredProgress>) {
  const rows = [...progress].map(([client_id, { version, progress }]) => ({ client_id, version, progress }));
  for (let from = 0; from < rows.length; from += ROWS_PER_STATEMENT)
    await upsertRows(client, JSON.stringify(rows.slice(from, from + ROWS_PER_STATEMENT)));
}

async function upsertRows(client: pg.PoolClient, rows: string) {
  await client.query(
    `INSERT INTO client_progress (client_id, version, progress)
     SELECT client_id, version, progress
       FROM json_to_recordset($1::json) AS r (client_id text, version bigint, progress json)
     ON CONFLICT (client_id) DO UPDATE
       SET version = EXCLUDED.version, progress = EXCLUDED.progress, updated_at = now()
       WHERE client_progress.version < EXCLUDED.version`,
    [rows],
  );
}

/**
 * Stores each unlock once and, in the same statement, the outbox records of those stored now (not seen
 * before), in their order. A backfill's unlocks name it, and are announced by the backfill itself once awarded.
 */
export async function writeUnlocks(client: pg.PoolClient, unlocks: UnlockOutput[], backfillReplay?: string) {
  if (unlocks.length === 0) return;
  const rows = unlocks.map(({ unlockId, unlock }) => ({
    unlock_id: unlockId,
    client_id: unlock.clientId,
    achievement_id: unlock.achievementId,
    rule_id: unlock.ruleId,
    rule_version: unlock.ruleVersion,
    points: unlock.points,
    partner_id: unlock.partnerId ?? null,
    unlocked_at: unlock.unlockedAt,
    source_event_id: unlock.sourceEventId,
    occurrence: unlock.occurrence ?? '',
    beyond_budget: unlock.beyondBudget === true,
    source_topic: unlock.sourceRecord?.topic ?? null,
    source_offset: unlock.sourceRecord?.offset ?? null,
  }));
  const records = unlocks.flatMap(({ unlockId, records }) =>
    records.map((record) => ({ unlock_id: unlockId, ...outboxRow(record) })),
  );
  await client.query(
    `WITH stored AS (
       INSERT INTO achievement_unlocks
         (unlock_id, client_id, achievement_id, rule_id, rule_version, points, partner_id, unlocked_at,
          source_event_id, occurrence, beyond_budget, source_topic, source_offset, backfill_replay)
       SELECT *, $3::uuid FROM json_to_recordset($1::json) AS u (unlock_id uuid, client_id text, achievement_id text,
         rule_id text, rule_version int, points int, partner_id text, unlocked_at timestamptz, source_event_id text,
         occurrence text, beyond_budget boolean, source_topic text, source_offset bigint)
       ON CONFLICT (client_id, achievement_id, occurrence) DO NOTHING
       RETURNING unlock_id)
     INSERT INTO outbox (topic, key, value, headers)
     SELECT r.topic, r.key, r.value, r.headers
       FROM ROWS FROM (json_to_recordset($2::json)
              AS (unlock_id uuid, topic text, key text, value json, headers json)) WITH ORDINALITY
              AS r (unlock_id, topic, key, value, headers, position)
       JOIN stored USING (unlock_id)
      ORDER BY r.position`,
    [JSON.stringify(rows), JSON.stringify(records), backfillReplay ?? null],
  );
}

const outboxRow = ({ topic, key, value, headers }: OutboxRecord) => ({
  topic,
  key,
  value,
  headers: headers ?? null,
});

/** Writes records for the outbox publisher to send, in the transaction of the change they announce. */
export async function writeOutbox(client: pg.PoolClient, records: OutboxRecord[]) {
  if (records.length === 0) return;
  await client.query(
    `INSERT INTO outbox (topic, key, value, headers)
     SELECT topic, key, value, headers
       FROM json_to_recordset($1::json) AS r (topic text, key text, value json, headers json)`,
    [JSON.stringify(records.map(outboxRow))],
  );
}
