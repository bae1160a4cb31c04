import type pg from 'pg';
import { sourceKey, type SourcePosition } from './redrive-records.js';
import { printable } from './text.js';

/** What a run of redrive records did: the originals the engine accepted, and those it refused again. */
export interface RedriveOutcomes {
  accepted: SourcePosition[];
  refused: { source: SourcePosition; error: string }[];
}

/** What the engine holds of an original it set aside: the DLQ record it indexed, and whether a redrive counted. */
export interface SetAside {
  record: string;
  accepted: boolean;
}

/**
 * The dead letters these redrives name, by `sourceKey`: an original the engine never set aside (or erased
 * since) is absent, so a redrive of it can be told from one the engine issued.
 */
export async function setAsideOriginals(
  db: pg.Pool,
  sources: SourcePosition[],
): Promise<Map<string, SetAside>> {
  if (sources.length === 0) return new Map();
  const { rows } = await db.query<SourcePosition & SetAside>(
    `SELECT d.topic, d.partition, d."offset"::text AS "offset", d.record,
            EXISTS (SELECT 1 FROM redriven_records r
                     WHERE r.topic = d.topic AND r.partition = d.partition AND r."offset" = d."offset") AS accepted
       FROM dead_letters d
       JOIN json_to_recordset($1::json) AS s (topic text, partition int, "offset" bigint)
         ON d.topic = s.topic AND d.partition = s.partition AND d."offset" = s."offset"`,
    [JSON.stringify(sources)],
  );
  return new Map(rows.map((row) => [sourceKey(row), { record: row.record, accepted: row.accepted }]));
}

/**
 * Stores a run's redrive outcomes with the progress they made (one transaction): the accepted originals, so
 * none counts again, and on each dead letter the engine's answer to its newest redrive.
 */
export async function writeRedrives(client: pg.PoolClient, outcomes: RedriveOutcomes) {
  if (outcomes.accepted.length > 0)
    await client.query(
      `INSERT INTO redriven_records (topic, partition, "offset")
       SELECT * FROM json_to_recordset($1::json) AS s (topic text, partition int, "offset" bigint)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(outcomes.accepted)],
    );
  const answers = [
    ...outcomes.accepted.map((source) => ({ ...source, error: null })),
    // A refusal may quote the record (a key holding NUL): escaped, as a dead letter's error is, for PostgreSQL
    // refuses a NUL in text.
    ...outcomes.refused.map(({ source, error }) => ({ ...source, error: printable(error) })),
  ];
  if (answers.length > 0)
    await client.query(
      `UPDATE dead_letters d SET redrive_refusal = a.error
         FROM json_to_recordset($1::json) AS a (topic text, partition int, "offset" bigint, error text)
        WHERE d.topic = a.topic AND d.partition = a.partition AND d."offset" = a."offset"`,
      [JSON.stringify(answers)],
    );
}
