import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { entryName, readManifest } from '../../platform/archive-manifest.js';
import { localStore } from '../../platform/backup-store.js';
import { rebuildKey, splitNewKey } from '../../platform/key-shares.js';
import { giveToOwner } from '../../platform/pg-cluster.js';
import { restorePointInTime } from '../../platform/point-in-time.js';
import { postgresTool } from '../../platform/postgres-tools.js';
import { createPool, migrate } from '../../platform/postgres.js';
import { compressed, sealed } from '../../platform/sealed-files.js';
import { baseBackup, streamWal } from '../../platform/wal-archive.js';
import { segmentHolding } from '../../platform/wal-segments.js';
import { freePort, killGroup, startRole } from '../children.js';
import { scratchCluster } from '../stack/scratch-cluster.js';
import { waitForCommitted } from './committed.js';
import type { Section } from './report.js';
import { generateWorkload, produceWorkload } from './workload.js';

/** How often the benchmark's cluster closes a WAL segment: the bound its RPO is measured against. */
const ARCHIVE_TIMEOUT_S = 15;

const mb = (bytes: number) => bytes / 1024 / 1024;
const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/** A base backup streamed through `through` into nothing: its raw size and the seconds it took. */
async function timedBaseBackup(
  url: string,
  through: (tar: NodeJS.ReadableStream) => Promise<NodeJS.ReadableStream>,
) {
  const started = performance.now();
  const tool = postgresTool(
    'pg_basebackup',
    ['--pgdata=-', '--format=tar', '--wal-method=fetch', '--checkpoint=fast'],
    url,
  );
  tool.child.stdin.end();
  let raw = 0;
  tool.child.stdout.on('data', (chunk: Buffer) => (raw += chunk.length));
  await Promise.all([pipeline(await through(tool.child.stdout), discard()), tool.done]);
  return { raw, seconds: (performance.now() - started) / 1000 };
}

/**
 * (p–s): streaming backups of the engine's database. The engine processes a workload into a cluster of its
 * own while the WAL streams, sealed, into a local store; then base backups with and without sealing (same
 * run), the RPO of commits made one at a time, and the RTO of a restore to the latest.
 */
export async function measureBackups(options: {
  kafka: Kafka;
  roleEnv: Record<string, string>;
  records: number;
  clients: number;
  runId: string;
  step: (text: string) => void;
}): Promise<Section> {
  const { step } = options;
  const cluster = await scratchCluster(`${ARCHIVE_TIMEOUT_S}s`);
  const work = await mkdtemp(join(tmpdir(), 'bench-backups-'));
  giveToOwner(work);
  const key = await splitNewKey(3, 2);
  const store = localStore(join(work, 'store'));
  const target = { store, recipient: key.recipient };
  const restoredDir = join(work, 'restored');
  try {
    await migrate(cluster.url, 'public');
    const db = createPool(cluster.url, 'public');
    const wal = await streamWal({
      ...target,
      databaseUrl: cluster.url,
      spool: join(work, 'spool'),
      slot: 'bench',
    });
    await baseBackup(cluster.url, target);

    step(
      `(p) ${options.records.toLocaleString('en')} records through the engine into its own cluster, the WAL streaming`,
    );
    const workload = generateWorkload(options.records, options.clients, `${options.runId}b`);
    await produceWorkload(options.kafka, workload);
    const lsn = async () =>
      BigInt((await db.query<{ at: string }>("SELECT pg_current_wal_lsn() - '0/0' AS at")).rows[0]!.at);
    const walBefore = await lsn();
    const engine = await startRole('processor', {
      ...options.roleEnv,
      DATABASE_URL: cluster.url,
      DATABASE_SCHEMA: 'public',
      KAFKA_TOPIC_PREFIX: workload.prefix,
      KAFKA_GROUP_PREFIX: `bench-backups-${options.runId}`,
    });
    await waitForCommitted(db, options.records);
    killGroup(engine, 'SIGTERM');
    const walBytes = Number((await lsn()) - walBefore);

    step('(q) RPO: commits one at a time, each until its WAL is in the store');
    await db.query('CREATE TABLE bench_rpo (n integer, at timestamptz DEFAULT clock_timestamp())');
    const rpos: number[] = [];
    const commitTimes: Date[] = [];
    for (let n = 0; n < 5; n++) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ARCHIVE_TIMEOUT_S * 1000));
      await db.query('INSERT INTO bench_rpo (n) VALUES ($1)', [n]);
      const committedAt = Date.now();
      commitTimes.push(new Date(committedAt));
      const at = await lsn();
      // The segment holding the commit's last byte, by its manifest entry's name.
      const entry = entryName(`wal/${segmentHolding(at - 1n, 1)}.zst.age`);
      while (!(await store.has(entry))) await new Promise((resolve) => setTimeout(resolve, 50));
      rpos.push((Date.now() - committedAt) / 1000);
    }
    await wal.stop();
    const archived = (await readManifest(store)).filter((entry) => entry.kind === 'wal');
    const archivedBytes = archived.reduce((sum, entry) => sum + entry.bytes, 0);

    step('(r) base backups: raw, sealed (zstd + age), and age alone, in the same run');
    const plain = await timedBaseBackup(cluster.url, (tar) => Promise.resolve(tar));
    const sealedRun = await timedBaseBackup(cluster.url, (tar) =>
      sealed(key.recipient, compressed(tar as never)),
    );
    const ageOnly = await timedBaseBackup(cluster.url, (tar) => sealed(key.recipient, tar as never));
    const base = await baseBackup(cluster.url, target);

    // Between the last two commits: the base from before the workload, and every segment since, replayed.
    const restoreTo = new Date((commitTimes.at(-2)!.getTime() + commitTimes.at(-1)!.getTime()) / 2);
    step(
      '(s) RTO: the benchmark’s database restored from the base before the workload, all its WAL replayed',
    );
    const { identity } = await rebuildKey(
      key.sheets.slice(0, 2).map((text, i) => ({ text, source: `share ${i + 1}` })),
    );
    const restoreStarted = performance.now();
    const restored = await restorePointInTime({
      store,
      identity,
      dataDir: restoredDir,
      port: await freePort(),
      target: restoreTo,
    });
    const rto = (performance.now() - restoreStarted) / 1000;
    const check = new pg.Client({ connectionString: restored.url });
    await check.connect();
    const size = Number(
      (await check.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes')).rows[0]!
        .bytes,
    );
    await check.end();
    await db.end();

    const rate = (run: { raw: number; seconds: number }) => `${(mb(run.raw) / run.seconds).toFixed(0)} MB/s`;
    const perThousand = (bytes: number) => `${(bytes / options.records).toFixed(1)} kB`;
    return {
      title: 'Streaming backups (WAL sealed into an append-only store)',
      rows: [
        {
          measure: `(p) WAL per 1,000 events (${options.records.toLocaleString('en')} processed)`,
          value: `${perThousand(walBytes)} written; ${perThousand(archivedBytes)} in the store (zstd, sealed)`,
          target: '—',
          verdict: '—',
        },
        {
          measure: `(q) RPO: a commit to its segment in the store (archive_timeout ${ARCHIVE_TIMEOUT_S} s)`,
          value: `mean ${(rpos.reduce((a, b) => a + b, 0) / rpos.length).toFixed(1)} s, max ${Math.max(...rpos).toFixed(1)} s (${rpos.length} commits)`,
          target: `≤ archive_timeout + 1 s`,
          verdict: Math.max(...rpos) <= ARCHIVE_TIMEOUT_S + 1 ? 'met' : 'missed',
        },
        {
          measure: `(r) base backup throughput, ${mb(plain.raw).toFixed(0)} MB cluster`,
          value: `raw ${rate(plain)}; zstd + age ${rate(sealedRun)}; age alone ${rate(ageOnly)}; stored ${mb(base.bytes).toFixed(1)} MB`,
          target: '—',
          verdict: '—',
        },
        {
          measure: `(s) RTO: restore to a time after the workload (base + ${restored.segments} segments, ${mb(size).toFixed(0)} MB database)`,
          value: `${rto.toFixed(1)} s`,
          target: '—',
          verdict: '—',
        },
      ],
      notes: [
        'One cluster of its own on the same 2 cores as the broker; the WAL streams through pg_receivewal on a replication slot, each complete segment compressed with zstd and sealed with age before it is stored.',
        'RPO: the time from a commit until the segment holding it is in the store; a segment closes when full or after archive_timeout (the local stack sets 60 s).',
        'RTO: verifying and opening every file, unpacking the base backup, replaying the WAL, until the cluster accepts writes.',
      ],
    };
  } finally {
    await cluster.remove([restoredDir]);
    await rm(work, { recursive: true, force: true });
  }
}
