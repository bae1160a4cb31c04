import { existsSync } from 'node:fs';
import { appendFile, chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, recordEntry, type ArchivedFile } from '../platform/archive-manifest.js';
import { localStore } from '../platform/backup-store.js';
import { splitNewKey } from '../platform/key-shares.js';
import { compressed, sealToFile } from '../platform/sealed-files.js';
import { giveToOwner } from '../platform/pg-cluster.js';
import { baseBackup } from '../platform/wal-archive.js';
import { migrate } from '../platform/postgres.js';
import { freePort, startRole, stopRole } from '../scripts/children.js';
import { scratchCluster } from '../scripts/stack/scratch-cluster.js';
import { ownEngine, type OwnEngine } from './support/roles.js';
import { runScript } from './support/scripts.js';
import { testKafka } from './support/stack.js';
import { eventually } from './support/engine.js';
import { walStoredUpToNow } from './support/wal-stored.js';

type BaseFile = Extract<ArchivedFile, { kind: 'base' }>;

/** How many base backups a backup role's metrics say it stored. */
const storedBases = (metrics: string) =>
  Number(/achievements_backup_files_stored_total\{kind="base"\} (\d+)/.exec(metrics)?.[1] ?? 0);

/**
 * Streaming backups as an operator runs them (`npm run backup -- --stream`, `--base`, `npm run restore`) on a
 * cluster of the test's own: rows committed one by one around a time T, restored to T and to the latest with
 * the key rebuilt from custodians' shares, and everything that must stop a restore stopping it by name.
 */
describe('streaming encrypted backups restored to a point in time', () => {
  let cluster: Awaited<ReturnType<typeof scratchCluster>>;
  let engine: OwnEngine;
  let work: string;
  let sheets: string[];
  let env: Record<string, string>;
  let at: Date;
  const restoredDirs: string[] = [];

  const shareFile = (i: number) => join(work, `share-${i}.txt`);
  const restoreEnv = (store = join(work, 'store')) => ({ ...env, BACKUP_STORE: store });

  beforeAll(async () => {
    cluster = await scratchCluster();
    await migrate(cluster.url, 'public');
    engine = await ownEngine(testKafka(), 'public', 1);
    work = await mkdtemp(join(tmpdir(), 'streaming-backup-'));
    // The restored clusters' data directories go here: PostgreSQL's own user must reach them.
    giveToOwner(work);
    const key = await splitNewKey(5, 3);
    sheets = key.sheets;
    for (const [i, sheet] of sheets.entries()) await writeFile(shareFile(i + 1), sheet);
    env = {
      ...engine.env,
      DATABASE_URL: cluster.url,
      DATABASE_SCHEMA: 'public',
      BACKUP_STORE: join(work, 'store'),
      BACKUP_RECIPIENT: key.recipient,
      BACKUP_DATABASE_URL: cluster.url,
      BACKUP_SPOOL: join(work, 'spool'),
    };
    // The streaming process takes the first base backup itself: the store holds none yet.
    const archiver = await startRole('backup', env);
    await eventually(
      () => readManifest(localStore(env.BACKUP_STORE!)),
      (entries) => entries.some((entry) => entry.kind === 'base'),
      60_000,
      250,
    );
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    await db.query(
      'CREATE TABLE probe (n integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())',
    );
    for (let n = 1; n <= 6; n++) {
      await db.query('INSERT INTO probe (n) VALUES ($1)', [n]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (n === 3) at = new Date();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await walStoredUpToNow(db, localStore(env.BACKUP_STORE!), 30_000);
    await db.end();
    expect(await stopRole(archiver)).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await cluster?.remove(restoredDirs);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Restores into a fresh data directory on a free port; answers the run and the rows the cluster holds. */
  async function restored(args: string[], shares: string[], typed = '', store?: string) {
    const dataDir = join(work, `restored-${restoredDirs.length}`);
    restoredDirs.push(dataDir);
    const port = await freePort();
    const run = await runScript(
      'restore.ts',
      [
        ...args,
        '--data-dir',
        dataDir,
        '--port',
        String(port),
        ...shares.flatMap((file) => ['--share', file]),
      ],
      restoreEnv(store),
      typed,
    );
    if (run.code !== 0) return { run, dataDir, rows: undefined };
    const db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await db.connect();
    const rows = (await db.query<{ n: number }>('SELECT n FROM probe ORDER BY n')).rows.map(({ n }) => n);
    await db.end();
    cluster.stopDataDir(dataDir);
    return { run, dataDir, rows };
  }

  it('restores up to a time, and to the latest, with the key rebuilt from any 3 of 5 shares', async () => {
    const toT = await restored(['--to', at.toISOString()], [shareFile(1), shareFile(3), shareFile(5)]);
    expect(toT.run.code, toT.run.stderr).toBe(0);
    expect(toT.rows).toEqual([1, 2, 3]);

    const typedLine = sheets[3]!.split('\n').find((line) => line.startsWith('ACHV-SHARE-1'))!;
    const latest = await restored(['--latest'], [shareFile(2), shareFile(5)], `${typedLine}\n`);
    expect(latest.run.code, latest.run.stderr).toBe(0);
    expect(latest.rows).toEqual([1, 2, 3, 4, 5, 6]);
  }, 120_000);

  it('takes a base backup BACKUP_BASE_INTERVAL after the last one while it streams, and says so in its metrics', async () => {
    const store = join(work, 'scheduled');
    const archiver = await startRole('backup', {
      ...env,
      BACKUP_STORE: store,
      BACKUP_SPOOL: join(work, 'scheduled-spool'),
      BACKUP_SLOT: 'scheduled',
      BACKUP_BASE_INTERVAL: '1s',
    });
    let metrics: string;
    let exitCode: number | null;
    try {
      // The metrics count a base once its manifest entry is written: read first, they are never ahead of it.
      metrics = await eventually(
        async () => (await fetch(`${archiver.metricsUrl}/metrics`)).text(),
        (text) => storedBases(text) >= 3,
        60_000,
        250,
      );
    } finally {
      // Stopped whatever happened: one left taking bases would hold WAL senders the next tests need.
      exitCode = await stopRole(archiver);
    }
    expect(exitCode).toBe(0);
    expect(metrics).toMatch(/achievements_backup_last_stored_timestamp_seconds\{kind="base"\} \d+/);
    const bases = (await readManifest(localStore(store)))
      .filter((entry): entry is BaseFile => entry.kind === 'base')
      .toSorted((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    expect(bases.length).toBeGreaterThanOrEqual(3);
    // Never two at once: each starts an interval after the one before it was stored.
    for (const [i, base] of bases.slice(1).entries())
      expect(Date.parse(base.startedAt) - Date.parse(bases[i]!.archivedAt)).toBeGreaterThanOrEqual(1_000);
  }, 120_000);

  it('takes a base backup at its start when the store’s newest is older than BACKUP_BASE_INTERVAL', async () => {
    // A store whose newest base was stored two hours ago: a role restarted now, with an hourly interval, owes one.
    const source = localStore(join(work, 'due-source'));
    const taken = await baseBackup(cluster.url, { store: source, recipient: env.BACKUP_RECIPIENT! });
    const store = localStore(join(work, 'due'));
    const longAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const name = `base/${longAgo.replace(/[:.]/g, '-')}.tar.zst.age`;
    await store.put(name, join(source.where, taken.name));
    await recordEntry(store, { ...taken, name, startedAt: longAgo, archivedAt: longAgo });
    const archiver = await startRole('backup', {
      ...env,
      BACKUP_STORE: store.where,
      BACKUP_SPOOL: join(work, 'due-spool'),
      BACKUP_SLOT: 'due',
      BACKUP_BASE_INTERVAL: '1h',
    });
    let exitCode: number | null;
    try {
      await eventually(
        async () => (await fetch(`${archiver.metricsUrl}/metrics`)).text(),
        (text) => storedBases(text) === 1,
        60_000,
        250,
      );
    } finally {
      exitCode = await stopRole(archiver);
    }
    expect(exitCode).toBe(0);
    expect(await store.list('base')).toHaveLength(2);
  }, 120_000);

  it('ends 1, saying why, when pg_receivewal loses its connection: its supervisor restarts it', async () => {
    const lines: string[] = [];
    const archiver = await startRole(
      'backup',
      {
        ...env,
        BACKUP_STORE: join(work, 'cut'),
        BACKUP_SPOOL: join(work, 'cut-spool'),
        BACKUP_SLOT: 'cut',
        LOG_LEVEL: 'info',
      },
      { onLine: (line) => lines.push(line) },
    );
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    // Its connection cut once pg_receivewal holds the slot (the server's view of it).
    const exitCode = await eventually(
      async () => {
        await db.query(
          `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'cut' AND active`,
        );
        return archiver.process.exitCode;
      },
      (code) => code !== null,
      30_000,
      250,
    );
    await db.end();
    expect(exitCode).toBe(1);
    const failure = lines.find((line) => line.includes('failed for good; stopping, to be restarted'));
    // The reason, at the level every deployment logs, in pg_receivewal's own words.
    expect(failure).toMatch(/pg_receivewal ended by itself: .*pg_receivewal: /);
  });

  it('refuses 2 shares of the 3 needed, writing nothing', async () => {
    const { run, dataDir } = await restored(['--latest'], [shareFile(1), shareFile(2)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('2 shares given; this key needs 3 of them');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a share of another key and a truncated share by name, writing nothing', async () => {
    const stranger = join(work, 'stranger.txt');
    await writeFile(stranger, (await splitNewKey(3, 2)).sheets[0]!);
    const foreign = await restored(['--latest'], [shareFile(1), stranger, shareFile(3)]);
    expect(foreign.run.code).toBe(1);
    expect(foreign.run.stderr).toContain(`${stranger} is a share of another key`);
    expect(existsSync(foreign.dataDir)).toBe(false);

    const truncated = join(work, 'truncated.txt');
    await writeFile(
      truncated,
      (await readFile(shareFile(4), 'utf8')).replace(/^ACHV-SHARE-1:.*$/m, (line) =>
        line.slice(0, Math.floor(line.length * 0.8)),
      ),
    );
    const cut = await restored(['--latest'], [shareFile(1), truncated, shareFile(3)]);
    expect(cut.run.code).toBe(1);
    expect(cut.run.stderr).toContain(`${truncated} is damaged, mistyped or cut short`);
    expect(existsSync(cut.dataDir)).toBe(false);
  });

  /** A copy of the store to damage; its files are read-only, as the store leaves them. */
  async function storeCopy() {
    const copy = await mkdtemp(join(work, 'store-copy-'));
    await cp(join(work, 'store'), copy, { recursive: true });
    const entries = await readManifest(localStore(copy));
    const segments = entries.filter(
      (entry): entry is Extract<ArchivedFile, { kind: 'wal' }> => entry.kind === 'wal',
    );
    return { copy, middle: segments[Math.floor(segments.length / 2)]! };
  }
  const threeShares = () => [shareFile(1), shareFile(2), shareFile(3)];

  it('stops at a changed WAL file, naming it, with nothing written', async () => {
    const { copy, middle } = await storeCopy();
    const file = join(copy, middle.name);
    await chmod(file, 0o644);
    const bytes = await readFile(file);
    bytes[bytes.length - 40]! ^= 0xff;
    await writeFile(file, bytes);
    const { run, dataDir } = await restored(['--latest'], threeShares(), '', copy);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(middle.name);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stops at a WAL file sealed again by someone holding the public key, naming it', async () => {
    const { copy, middle } = await storeCopy();
    const file = join(copy, middle.name);
    await rm(file);
    await sealToFile(env.BACKUP_RECIPIENT!, compressed(Readable.from([Buffer.alloc(1024)])), file);
    const { run, dataDir } = await restored(['--latest'], threeShares(), '', copy);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${middle.name} is not the file its manifest entry describes`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stops at a missing WAL file, and at a hole in the WAL, naming the file', async () => {
    const gone = await storeCopy();
    await rm(join(gone.copy, gone.middle.name));
    const missing = await restored(['--latest'], threeShares(), '', gone.copy);
    expect(missing.run.code).toBe(1);
    expect(missing.run.stderr).toContain(`${gone.middle.name} is missing from the store`);
    expect(existsSync(missing.dataDir)).toBe(false);

    const hole = await storeCopy();
    await rm(join(hole.copy, hole.middle.name));
    await rm(join(hole.copy, 'manifest', `${hole.middle.name.replace('/', '.')}.json`));
    const holed = await restored(['--latest'], threeShares(), '', hole.copy);
    expect(holed.run.code).toBe(1);
    expect(holed.run.stderr).toContain(`${hole.middle.name} is missing from the store: the WAL after it`);
    expect(existsSync(holed.dataDir)).toBe(false);
  });

  it('refuses a manifest entry naming a file outside the store, writing nothing', async () => {
    const { copy, middle } = await storeCopy();
    const forged = join(copy, 'manifest', 'wal.forged.json');
    await writeFile(forged, JSON.stringify({ ...middle, name: '../../../etc/passwd' }));
    await appendFile(forged, '\n');
    const { run, dataDir } = await restored(['--latest'], threeShares(), '', copy);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'manifest/wal.forged.json describes "../../../etc/passwd", outside the store',
    );
    expect(existsSync(dataDir)).toBe(false);
  });
});
