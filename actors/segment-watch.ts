import type pg from 'pg';
import { logger } from '../platform/logger.js';
import type { ClientActors } from './client-actors.js';
import { loadContexts } from '../platform/engine-state.js';

/**
 * Tells cached client actors when operations change their segments: every second it reads the segment imports
 * since the last look and hands each cached member its memberships now. Actors spawned later read them fresh.
 */
export async function startSegmentWatch(db: pg.Pool, actors: ClientActors, intervalMs = 1_000) {
  const log = logger('segment-watch');
  const latest = await db.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM segment_changes');
  let seen = latest.rows[0]!.seq;
  const look = async () => {
    const { rows } = await db.query<{ seq: string; client_ids: string[] }>(
      'SELECT seq, client_ids FROM segment_changes WHERE seq > $1 ORDER BY seq',
      [seen],
    );
    if (rows.length === 0) return;
    const cached = actors.cached(new Set(rows.flatMap((row) => row.client_ids)));
    const contexts = await loadContexts(db, cached);
    for (const clientId of cached) actors.setSegments(clientId, contexts.get(clientId)!.segments);
    seen = rows.at(-1)!.seq;
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(look)
      .catch((error: unknown) => log.warn({ err: error }, 'segment changes not read; trying again'));
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
