import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStore } from '../platform/backup-store.js';
import { splitNewKey } from '../platform/key-shares.js';
import { baseBackup } from '../platform/wal-archive.js';
import { scratchCluster } from '../scripts/stack/scratch-cluster.js';
import { eventually } from './support/engine.js';

/** Base backups taken on a cluster of the test's own: only one pg_basebackup finished is ever stored. */
describe('a base backup stored only once pg_basebackup ended well', () => {
  let cluster: Awaited<ReturnType<typeof scratchCluster>>;
  let work: string;
  let recipient: string;

  beforeAll(async () => {
    cluster = await scratchCluster();
    work = await mkdtemp(join(tmpdir(), 'base-backup-'));
    ({ recipient } = await splitNewKey(3, 2));
  });

  afterAll(async () => {
    await cluster?.remove([]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The WAL senders serving base backups on the cluster now. */
  async function backupSenders() {
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_replication WHERE application_name = 'pg_basebackup'",
      );
      return Number(rows[0]!.n);
    } finally {
      await db.end();
    }
  }

  it('stores nothing of one PostgreSQL refused', async () => {
    const store = localStore(join(work, 'refused'));
    const refused = new URL(cluster.url);
    refused.username = 'nobody';
    await expect(baseBackup(refused.toString(), { store, recipient })).rejects.toThrow(
      /pg_basebackup failed/,
    );
    // What pg_basebackup wrote before it failed (nothing but its end) was sealed too: it must not be put after.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await store.list('base')).toEqual([]);
  });

  it('stops one under way when asked, storing nothing and leaving no WAL sender behind', async () => {
    const store = localStore(join(work, 'stopped'));
    const stopping = new AbortController();
    const taking = baseBackup(cluster.url, { store, recipient }, stopping.signal);
    stopping.abort();
    await expect(taking).rejects.toThrow('base backup stopped before it ended');
    expect(await store.list('base')).toEqual([]);
    await eventually(backupSenders, (senders) => senders === 0, 10_000);
  });

  it('stores one that ended well', async () => {
    const store = localStore(join(work, 'whole'));
    const entry = await baseBackup(cluster.url, { store, recipient });
    expect(await store.list('base')).toEqual([entry.name]);
  });
});
