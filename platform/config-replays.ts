import { z } from 'zod';
import { duration } from './config-fields.js';

/** The environment variables of dry runs and backfills (the worker role replays them), part of platform/config.ts. */
export const replayFields = {
  /** How many partitions of a dry run or backfill one worker replays at once. */
  REPLAY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /**
   * How many threads replay those partitions (see workflows/replay-threads.ts); 0, the default, replays on the
   * role's own thread (with threads, the whole-system backfill test timed out in three of four CI runs: not yet
   * understood).
   */
  REPLAY_THREADS: z.coerce.number().int().min(0).max(64).default(0),
  /** How long a backfill's replay activity works between checkpoints (and reports to the Temporal UI). */
  BACKFILL_CHUNK: duration.default(30_000),
  /** At most this many records per chunk besides (unset: the time alone bounds a chunk). */
  BACKFILL_CHUNK_RECORDS: z.coerce.number().int().min(1).optional(),
  /** How long Temporal waits for a silent replay activity before retrying it elsewhere (a worker gone). */
  BACKFILL_HEARTBEAT_TIMEOUT: duration.default(30_000),
  /** How many rewards per second a backfill starts at most, on its own task queue. */
  BACKFILL_REWARD_RATE: z.coerce.number().positive().max(10_000).default(50),
};
