import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { entryName, recordEntry, type ArchivedFile } from './archive-manifest.js';
import { StoreRefused, type BackupStore } from './backup-store.js';
import { logger } from './logger.js';
import { postgresTool } from './postgres-tools.js';
import { compressed, encrypterTo, hashOf, sealToFile } from './sealed-files.js';
import { segmentRange } from './wal-segments.js';

/**
 * Streaming backups (docs/runbook.md, "Backups"): every WAL segment PostgreSQL writes is received over the
 * replication protocol (`pg_receivewal` on a replication slot, so the server keeps what was not received yet),
 * compressed (zstd: a segment closed early is mostly empty) and sealed to the backup public key as soon as it is complete and put into the append-only store with its
 * manifest entry; the plain segment is then removed from the local spool. Base backups (`pg_basebackup`) are
 * sealed the same way as they stream. Nothing here can read what it wrote: the private key is elsewhere.
 */

const log = logger('wal-archive');

export interface ArchiveTarget {
  store: BackupStore;
  /** The age public key (`age1…`) everything is sealed to. */
  recipient: string;
}

const SEGMENT_FILE = /^[0-9A-F]{24}$/;
const HISTORY_FILE = /^([0-9A-F]{8})\.history$/;

type Described = {
  [K in ArchivedFile['kind']]: Omit<Extract<ArchivedFile, { kind: K }>, keyof StoredPart>;
}[ArchivedFile['kind']];
type StoredPart = Pick<ArchivedFile, 'name' | 'bytes' | 'sha256' | 'recipient' | 'archivedAt'>;

/**
 * Seals `source` into the store under `name`, once `complete` says the source ended whole (a stream that
 * stopped early is never stored); answers what its manifest entry says of the stored file.
 */
async function storeSealed(
  target: ArchiveTarget,
  source: Readable,
  name: string,
  complete?: Promise<unknown>,
): Promise<StoredPart> {
  const dir = await mkdtemp(join(tmpdir(), 'archive-'));
  try {
    const file = join(dir, 'sealed');
    const { bytes, sha256 } = await sealToFile(target.recipient, compressed(source), file);
    await complete;
    await target.store.put(name, file);
    const archivedAt = new Date().toISOString();
    return { name, bytes, sha256, recipient: target.recipient, archivedAt };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Seals a spool file into the store and records its entry. A name already stored is a segment a crash left
 * between its put and the spool's cleanup (or received twice): what the store holds is kept, and described
 * by its own bytes if its entry is missing too.
 */
async function archive(target: ArchiveTarget, local: string, name: string, described: Described) {
  let stored: StoredPart;
  try {
    stored = await storeSealed(target, createReadStream(local), name);
  } catch (error) {
    if (!(error instanceof StoreRefused) || !(await target.store.has(name))) throw error;
    if (await target.store.has(entryName(name))) return undefined;
    const held = await hashOf(await target.store.get(name));
    stored = { name, ...held, recipient: target.recipient, archivedAt: new Date().toISOString() };
  }
  const entry: ArchivedFile = { ...stored, ...described };
  await recordEntry(target.store, entry);
  return entry;
}

/**
 * Seals and stores every complete file in the spool (oldest first), removing each once it is stored; tells
 * `onStored` of each entry written.
 */
export async function shipCompleted(
  spool: string,
  target: ArchiveTarget,
  onStored: (entry: ArchivedFile) => void = () => undefined,
) {
  let shipped = 0;
  for (const file of (await readdir(spool)).sort()) {
    const local = join(spool, file);
    const history = HISTORY_FILE.exec(file);
    let entry: ArchivedFile | undefined;
    if (SEGMENT_FILE.test(file))
      entry = await archive(target, local, `wal/${file}.zst.age`, {
        kind: 'wal',
        segment: file,
        ...segmentRange(file),
      });
    else if (history)
      entry = await archive(target, local, `wal/${file}.zst.age`, {
        kind: 'history',
        timeline: parseInt(history[1]!, 16),
      });
    else continue;
    await rm(local);
    if (entry) onStored(entry);
    shipped++;
  }
  return shipped;
}

export interface WalStreamOptions extends ArchiveTarget {
  databaseUrl: string;
  /** Where received segments wait to be sealed: a volume that outlives the process (the slot moved past them). */
  spool: string;
  /** The replication slot that keeps on the server what was not received yet. */
  slot: string;
  /** How often the spool is looked at for complete segments. */
  pollMs?: number;
  /** Told of each file stored, as it is. */
  onStored?: (entry: ArchivedFile) => void;
}

/** How many of pg_receivewal's last lines are kept to say why it ended. */
const LAST_WORDS = 5;

/**
 * Streams the WAL into the store until stopped: `pg_receivewal` receives into the spool, and every complete
 * segment is sealed and stored within `pollMs`. A segment completes when it is full or when the server closes
 * it (`archive_timeout`), which bounds how far the store lags the last commit.
 */
export async function streamWal(options: WalStreamOptions) {
  encrypterTo(options.recipient);
  await mkdir(options.spool, { recursive: true });
  await postgresTool(
    'pg_receivewal',
    ['--create-slot', '--if-not-exists', `--slot=${options.slot}`],
    options.databaseUrl,
  ).done;
  // --no-loop: a lost connection ends the process, to be restarted by its supervisor, rather than retrying
  // unseen for ever; the slot keeps on the server what was not received meanwhile.
  const receiver = postgresTool(
    'pg_receivewal',
    ['--directory', options.spool, `--slot=${options.slot}`, '--no-password', '--synchronous', '--no-loop'],
    options.databaseUrl,
  );
  receiver.child.stdin.end();
  receiver.child.stdout.resume();
  // Its last words say why it ended: kept for the error a role fails with, which is logged at any level.
  const lastWords: string[] = [];
  createInterface({ input: receiver.child.stderr }).on('line', (line) => {
    log.warn({ line }, 'pg_receivewal');
    lastWords.push(line);
    if (lastWords.length > LAST_WORDS) lastWords.shift();
  });
  let stopping = false;
  const receiving = receiver.done.then(
    () => !stopping,
    (error: unknown) => {
      if (!stopping) log.error({ err: error }, 'pg_receivewal stopped');
      return !stopping;
    },
  );
  const shipOnce = async () => {
    try {
      await shipCompleted(options.spool, options, options.onStored);
    } catch (error) {
      // The store is away (a network fault, a full disk): the segments wait in the spool for the next look.
      log.error({ err: error }, 'WAL segments not stored yet; trying again');
    }
  };
  const shipping = (async () => {
    while (!stopping) {
      await shipOnce();
      await sleep(options.pollMs ?? 500);
    }
  })();
  let stopped: Promise<void> | undefined;
  return {
    /** Stops receiving, stores what is complete (once, however often called); a partial segment stays. */
    stop() {
      stopped ??= (async () => {
        stopping = true;
        receiver.child.kill('SIGINT');
        await receiving;
        await shipping;
        await shipOnce();
      })();
      return stopped;
    },
    /** Settles when pg_receivewal ends: true when it ended by itself rather than by `stop`. */
    ended: receiving,
    /** The last lines pg_receivewal wrote to its standard error, oldest first. */
    lastWords: () => [...lastWords],
  };
}

const WAL_POINT = /write-ahead log (start|end) point: ([0-9A-F]+\/[0-9A-F]+)(?: on timeline (\d+))?/g;

/**
 * A base backup of the whole cluster (`pg_basebackup`, tar, with the WAL it needs), sealed as it streams into a
 * temporary file (a store takes a file of known length), then stored once pg_basebackup ended well; answers its
 * manifest entry. Taken while the engine runs: PostgreSQL makes it consistent. `signal` stops it (the backup
 * role stopping): pg_basebackup is ended, and nothing is stored.
 */
export async function baseBackup(databaseUrl: string, target: ArchiveTarget, signal?: AbortSignal) {
  const startedAt = new Date().toISOString();
  const tool = postgresTool(
    'pg_basebackup',
    ['--pgdata=-', '--format=tar', '--wal-method=fetch', '--checkpoint=fast', '--no-password', '--verbose'],
    databaseUrl,
  );
  tool.child.stdin.end();
  // Read below once the sealed copy is written; a failure to seal is thrown first, its exit then ignored.
  tool.done.catch(() => undefined);
  const stop = () => tool.child.kill();
  signal?.addEventListener('abort', stop, { once: true });
  let stored: StoredPart;
  let said: string;
  try {
    // Stored only once pg_basebackup ended well: a base it left unfinished (it failed, or was stopped) is not.
    stored = await storeSealed(
      target,
      tool.child.stdout,
      `base/${startedAt.replace(/[:.]/g, '-')}.tar.zst.age`,
      tool.done,
    );
    said = await tool.done;
  } catch (error) {
    tool.child.kill();
    throw signal?.aborted ? new Error('base backup stopped before it ended', { cause: error }) : error;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  const points = new Map([...said.matchAll(WAL_POINT)].map((match) => [match[1], match]));
  const start = points.get('start');
  const end = points.get('end');
  if (!start || !end) throw new Error(`pg_basebackup named no WAL start and end: ${said}`);
  const entry: ArchivedFile = {
    ...stored,
    kind: 'base',
    startedAt,
    walStart: start[2]!,
    walEnd: end[2]!,
    timeline: Number(start[3] ?? 1),
  };
  await recordEntry(target.store, entry);
  return entry;
}
