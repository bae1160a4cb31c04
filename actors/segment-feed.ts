import type pg from 'pg';
import { logger } from '../platform/logger.js';

/** The newest segment import operations made, as a processor last read it. */
export interface SegmentFeed {
  newest: () => number;
  stop: () => void;
}

/**
 * Reads the number of the newest segment import every second. Each partition takes an import at a checkpoint
 * before its next run (actors/batch.ts), so its clients' segments change at one recorded offset, as rules do.
 */
export async function startSegmentFeed(db: pg.Pool, intervalMs = 1_000): Promise<SegmentFeed> {
  const log = logger('segment-feed');
  const read = async () =>
    Number(
      (await db.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM segment_changes')).rows[0]!
        .seq,
    );
  let newest = await read();
  let reading = false;
  const timer = setInterval(() => {
    if (reading) return;
    reading = true;
    read()
      .then((seq) => (newest = Math.max(newest, seq)))
      .catch((error: unknown) => log.warn({ err: error }, 'segment imports not read; trying again'))
      .finally(() => (reading = false));
  }, intervalMs);
  return { newest: () => newest, stop: () => clearInterval(timer) };
}
