import type pg from 'pg';
import { entryName } from '../../platform/archive-manifest.js';
import type { BackupStore } from '../../platform/backup-store.js';
import { positionOf, segmentHolding } from '../../platform/wal-segments.js';
import { eventually } from './engine.js';

/**
 * Closes the WAL segment `db`'s cluster (timeline 1) writes, as archive_timeout would without waiting for it,
 * and waits until the store holds that segment's manifest entry: then everything committed so far is in the
 * store. (A segment stored after a commit may still be one closed before it: its time says nothing.)
 */
export async function walStoredUpToNow(db: pg.Pool | pg.Client, store: BackupStore, timeoutMs = 60_000) {
  const { rows } = await db.query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn');
  // The end of the closed segment's last record, or where the last closed one ended if nothing was written
  // since: either way the byte before it is in the segment to wait for.
  const segment = segmentHolding(positionOf(rows[0]!.lsn) - 1n, 1);
  await eventually(() => store.has(entryName(`wal/${segment}.zst.age`)), Boolean, timeoutMs, 250);
}
