import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import {
  appendFile,
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { identityToRecipient } from 'age-encryption';
import { readManifest, type ArchivedFile } from './archive-manifest.js';
import { StoreRefused, type BackupStore } from './backup-store.js';
import {
  clusterRunning,
  giveTreeToOwner,
  installedBinaries,
  loopbackOptions,
  ownerCanWrite,
  runAsOwner,
  startCluster,
} from './pg-cluster.js';
import { decompressed, digest, opened } from './sealed-files.js';
import { segmentAt, segmentName, segmentNumber, timelineOf } from './wal-segments.js';

/**
 * Point-in-time restore of a streaming backup (docs/runbook.md, "Restore to a point in time"): the newest base
 * backup finished before the target, and every WAL segment after it, each verified against its manifest entry
 * and opened with the private key rebuilt from the custodians' shares, into an empty data directory; then
 * PostgreSQL replays the WAL up to the target and opens. Everything is checked before the data directory is
 * made: a missing, changed or foreign file stops the restore by its name, with nothing written.
 */

/** PostgreSQL's tools pass the data directory through a shell: nothing a shell would read as more. */
const SAFE_PATH = /^[A-Za-z0-9/._-]+$/;

type Base = Extract<ArchivedFile, { kind: 'base' }>;
type Segment = Extract<ArchivedFile, { kind: 'wal' }>;

export interface PointInTimeOptions {
  store: BackupStore;
  /** The age identity rebuilt from the custodians' shares: held in memory only. */
  identity: string;
  /** An empty or absent folder for the restored cluster's data. */
  dataDir: string;
  /** The port the restored cluster listens on (loopback). */
  port: number;
  /** Replay up to this time, or all of the WAL in the store. */
  target: Date | 'latest';
  progress?: (message: string) => void;
}

/** What a restore will read, chosen from the manifest; refused with the reason it cannot reach the target. */
export function restorePlan(entries: ArchivedFile[], target: Date | 'latest') {
  const bases = entries
    .filter((entry): entry is Base => entry.kind === 'base')
    .filter((base) => target === 'latest' || Date.parse(base.archivedAt) <= target.getTime())
    .sort((a, b) => Date.parse(a.archivedAt) - Date.parse(b.archivedAt));
  const base = bases.at(-1);
  if (!base)
    throw new StoreRefused(
      target === 'latest'
        ? 'the store holds no base backup: take one (npm run backup -- --base)'
        : `no base backup in the store was finished by ${target.toISOString()}`,
    );
  // The base holds its WAL up to its end point as it was then; the segment holding that point and every
  // later one come from the archive.
  const first = segmentNumber(segmentAt(base.walEnd, base.timeline));
  // The base's own timeline: a restored cluster starts a new one, and takes a base of its own at once.
  const segments = entries
    .filter(
      (entry): entry is Segment =>
        entry.kind === 'wal' &&
        timelineOf(entry.segment) === base.timeline &&
        segmentNumber(entry.segment) >= first,
    )
    .sort(
      (a, b) => a.segment.slice(8).localeCompare(b.segment.slice(8)) || a.segment.localeCompare(b.segment),
    );
  const numbers = new Set(segments.map((segment) => segmentNumber(segment.segment)));
  // No segment after the base: it alone is restored, to its end (its WAL is in it).
  const last = segments.length > 0 ? segmentNumber(segments.at(-1)!.segment) : first - 1n;
  for (let number = first; number <= last; number++)
    if (!numbers.has(number))
      throw new StoreRefused(
        `wal/${segmentName(base.timeline, number)}.zst.age is missing from the store: the WAL after it ` +
          'cannot be replayed',
      );
  if (target !== 'latest') {
    const lastArchived = Math.max(
      Date.parse(base.archivedAt),
      ...segments.map((s) => Date.parse(s.archivedAt)),
    );
    if (lastArchived < target.getTime())
      throw new StoreRefused(
        `the store's WAL ends at ${new Date(lastArchived).toISOString()}, before ${target.toISOString()}: ` +
          'restore to an earlier time, or --latest',
      );
  }
  return { base, segments };
}

/** Reads a stored file, checks it against its entry as it streams, and answers its opened content. */
async function openedFile(
  store: BackupStore,
  entry: ArchivedFile,
  identity: string,
  into: NodeJS.WritableStream,
) {
  const counted = digest();
  try {
    const stored = await store.get(entry.name);
    stored.on('error', (error) => counted.stream.destroy(error));
    await pipeline(decompressed(await opened(identity, stored.pipe(counted.stream))), into);
  } catch (error) {
    if (error instanceof StoreRefused) throw error;
    throw new StoreRefused(`${entry.name} could not be opened: ${(error as Error).message}`);
  }
  const { bytes, sha256 } = counted.result();
  if (bytes !== entry.bytes || sha256 !== entry.sha256)
    throw new StoreRefused(
      `${entry.name} is not the file its manifest entry describes (${bytes} bytes, SHA-256 ${sha256}; ` +
        `the entry says ${entry.bytes} bytes, ${entry.sha256}): it was changed or cut short`,
    );
}

/** Extracts a tar stream into `dir`. */
function untar(dir: string) {
  const tar = spawn('tar', ['-x', '--no-same-owner', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) =>
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar failed: ${stderr}`)))),
  );
  return { stdin: tar.stdin, done };
}

async function ensureEmptyDir(dataDir: string) {
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0)
    throw new StoreRefused(`${dataDir} is not empty: a restore goes into an empty data directory`);
  await mkdir(dirname(dataDir), { recursive: true });
  if (!ownerCanWrite(dirname(dataDir)))
    throw new StoreRefused(
      `PostgreSQL's user cannot write into ${dirname(dataDir)}: restore somewhere it can`,
    );
}

/**
 * Waits until the restored cluster finished replaying and was promoted (its control file says so: no role of
 * the restored cluster is needed to ask), or says why it stopped.
 */
async function promoted(bin: string, dataDir: string, logFile: string) {
  for (;;) {
    if (!clusterRunning(bin, dataDir)) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      const reason = log.match(/FATAL: {2}(.*)/g)?.at(-1) ?? 'see the log';
      throw new StoreRefused(`the restored cluster stopped while replaying the WAL: ${reason} (${logFile})`);
    }
    const control = runAsOwner(join(bin, 'pg_controldata'), ['-D', dataDir]);
    if (/Database cluster state:\s+in production/.test(control)) return;
    await sleep(200);
  }
}

/**
 * Restores the store's backup into `dataDir` up to `target` and starts the restored cluster on `port`;
 * answers its admin URL and what was read. The WAL segments are opened into the data directory's
 * `restore_wal` folder, which PostgreSQL's `restore_command` reads; it is removed once the cluster opened.
 */
export async function restorePointInTime(options: PointInTimeOptions) {
  const say = options.progress ?? (() => undefined);
  const bin = installedBinaries();
  if (!bin) throw new StoreRefused('no PostgreSQL server is installed here to restore into');
  if (!SAFE_PATH.test(options.dataDir))
    throw new StoreRefused(`${options.dataDir}: a data directory's path is letters, digits, / . _ - only`);
  const plan = restorePlan(await readManifest(options.store), options.target);
  const recipient = await identityToRecipient(options.identity);
  const foreign = [plan.base, ...plan.segments].find((entry) => entry.recipient !== recipient);
  if (foreign)
    throw new StoreRefused(
      `${foreign.name} was sealed to ${foreign.recipient}, not to the key the shares rebuild (${recipient}): ` +
        'bring the shares of that key',
    );
  await ensureEmptyDir(options.dataDir);
  const staging = await mkdtemp(join(dirname(options.dataDir), '.restore-'));
  try {
    for (const [i, entry] of plan.segments.entries()) {
      await openedFile(
        options.store,
        entry,
        options.identity,
        createWriteStream(join(staging, entry.segment)),
      );
      say(`verified ${i + 1}/${plan.segments.length} WAL files`);
    }
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    const tar = untar(options.dataDir);
    await Promise.all([openedFile(options.store, plan.base, options.identity, tar.stdin), tar.done]);
    say(`base backup of ${plan.base.startedAt} verified and unpacked`);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    await rm(options.dataDir, { recursive: true, force: true });
    throw error;
  }
  await rename(staging, join(options.dataDir, 'restore_wal'));
  const settings = [
    `restore_command = 'cp restore_wal/%f "%p"'`,
    ...(options.target === 'latest'
      ? []
      : [
          `recovery_target_time = '${options.target.toISOString().replace('T', ' ').replace('Z', '+00')}'`,
          `recovery_target_action = 'promote'`,
        ]),
  ];
  await appendFile(join(options.dataDir, 'postgresql.auto.conf'), `${settings.join('\n')}\n`);
  await writeFile(join(options.dataDir, 'recovery.signal'), '');
  await chmod(options.dataDir, 0o700);
  const logFile = `${options.dataDir}.log`;
  await writeFile(logFile, '');
  // The source's pg_hba.conf came with the base (passwords this restore does not have): until the operator
  // starts the cluster with its own settings, it takes the restore's connections on loopback only.
  const hba = `${options.dataDir}.hba.conf`;
  await writeFile(hba, 'host all all 127.0.0.1/32 trust\n');
  for (const path of [options.dataDir, logFile, hba]) giveTreeToOwner(path);
  try {
    startCluster(bin, options.dataDir, logFile, `${loopbackOptions(options.port)} -c hba_file=${hba}`);
  } catch {
    // It stopped while replaying (a target the WAL never reaches): the log says why, as below.
  }
  await promoted(bin, options.dataDir, logFile);
  await rm(join(options.dataDir, 'restore_wal'), { recursive: true, force: true });
  say(`replayed ${plan.segments.length} WAL segments up to ${String(options.target)}`);
  return {
    url: `postgres://postgres@127.0.0.1:${options.port}/postgres`,
    base: plan.base,
    segments: plan.segments.length,
  };
}
