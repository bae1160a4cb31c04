import type pg from 'pg';
import { readManifest } from '../../platform/archive-manifest.js';
import type { BackupStore } from '../../platform/backup-store.js';
import { positionOf } from '../../platform/wal-segments.js';
import { eventually } from './engine.js';

/**
 * Closes the WAL segment `db`'s cluster writes (as archive_timeout would, without waiting for it) and waits
 * until the store holds it: then everything committed so far is in the store. (A segment stored after a commit
 * may still be one closed before it: its time says nothing.)
 */
export async function walStoredUpToNow(db: pg.Pool | pg.Client, store: BackupStore, timeoutMs = 60_000) {
  const { rows } = await db.query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn');
  // The end of the closed segment, or where the last one ended when nothing was written since.
  const written = positionOf(rows[0]!.lsn);
  await eventually(
    () => readManifest(store),
    (entries) => entries.some((entry) => entry.kind === 'wal' && positionOf(entry.walEnd) >= written),
    timeoutMs,
    250,
  );
}
