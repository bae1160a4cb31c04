import type pg from 'pg';
import { sourceKey, type SourcePosition } from './redrive-records.js';

/** What a run of redrive records did: the originals the engine accepted, and those it refused again. */
export interface RedriveOutcomes {
  accepted: SourcePosition[];
  refused: { source: SourcePosition; error: string }[];
}

/** Which of these originals a redrive already made the engine accept, by `sourceKey`. */
export async function acceptedRedrives(db: pg.Pool, sources: SourcePosition[]): Promise<Set<string>> {
  if (sources.length === 0) return new Set();
  const { rows } = await db.query<{ topic: string; partition: number; offset: string }>(
    `SELECT r.topic, r.partition, r."offset"::text AS "offset"
       FROM redriven_records r
       JOIN json_to_recordset($1::json) AS s (topic text, partition int, "offset" bigint)
         ON r.topic = s.topic AND r.partition = s.partition AND r."offset" = s."offset"`,
    [JSON.stringify(sources)],
  );
  return new Set(rows.map(sourceKey));
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
    ...outcomes.refused.map(({ source, error }) => ({ ...source, error })),
  ];
  if (answers.length > 0)
    await client.query(
      `UPDATE dead_letters d SET redrive_refusal = a.error
         FROM json_to_recordset($1::json) AS a (topic text, partition int, "offset" bigint, error text)
        WHERE d.topic = a.topic AND d.partition = a.partition AND d."offset" = a."offset"`,
      [JSON.stringify(answers)],
    );
}
