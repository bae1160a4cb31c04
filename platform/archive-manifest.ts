import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { storeName, StoreRefused, type BackupStore } from './backup-store.js';
import { parsedJson } from './text.js';

/**
 * The manifest of a streaming backup: one entry per file in the store, written after the file, never changed.
 * An entry says what the file is (a WAL segment, a timeline history, a base backup), its size and SHA-256 as
 * stored (sealed), the WAL it covers and when it reached the store. A file without an entry was cut short by
 * a crash and is never read.
 */

const LSN = z.string().regex(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/);
const SEGMENT = z.string().regex(/^[0-9A-F]{24}$/);

const common = {
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  recipient: z.string(),
  archivedAt: z.iso.datetime({ offset: true }),
};

export const archivedFile = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('wal'), segment: SEGMENT, walStart: LSN, walEnd: LSN, ...common }),
  z.object({ kind: z.literal('history'), timeline: z.number().int().positive(), ...common }),
  z.object({
    kind: z.literal('base'),
    startedAt: z.iso.datetime({ offset: true }),
    walStart: LSN,
    walEnd: LSN,
    timeline: z.number().int().positive(),
    ...common,
  }),
]);

export type ArchivedFile = z.infer<typeof archivedFile>;

/** The manifest entry's own name: beside nothing, one per stored file. */
export const entryName = (name: string) => `manifest/${storeName(name).replace('/', '.')}.json`;

/** Writes a file's manifest entry into the store (after the file itself). */
export async function recordEntry(store: BackupStore, entry: ArchivedFile) {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
  try {
    const file = join(dir, 'entry.json');
    await writeFile(file, `${JSON.stringify(entry, null, 2)}\n`);
    await store.put(entryName(entry.name), file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isStoreName = (name: string) => {
  try {
    return storeName(name) === name;
  } catch {
    return false;
  }
};

/** A stored file's name says what it is: a WAL segment or history file by its own name, a base as a base. */
function namedAsItIs(entry: ArchivedFile) {
  if (entry.kind === 'wal') return entry.name === `wal/${entry.segment}.zst.age`;
  if (entry.kind === 'history')
    return entry.name === `wal/${entry.timeline.toString(16).toUpperCase().padStart(8, '0')}.history.zst.age`;
  return /^base\/[A-Za-z0-9-]+\.tar\.zst\.age$/.test(entry.name);
}

/**
 * Every entry of the store's manifest, checked: an entry that is not one, or names a file outside the store
 * or under another entry's name, is refused by its own name before anything is read or written.
 */
export async function readManifest(store: BackupStore): Promise<ArchivedFile[]> {
  const entries: ArchivedFile[] = [];
  for (const name of await store.list('manifest')) entries.push(await readEntry(store, name));
  return entries;
}

/** One manifest entry, checked as `readManifest` checks each. */
async function readEntry(store: BackupStore, name: string): Promise<ArchivedFile> {
  const parsed = archivedFile.safeParse(parsedJson(await text(await store.get(name))));
  if (!parsed.success)
    throw new StoreRefused(`${name} is not a manifest entry: ${z.prettifyError(parsed.error)}`);
  const described = parsed.data.name;
  if (!isStoreName(described) || entryName(described) !== name)
    throw new StoreRefused(`${name} describes "${described}", outside the store or another entry's file`);
  if (!namedAsItIs(parsed.data))
    throw new StoreRefused(`${name} describes ${described} as another file than its name says`);
  return parsed.data;
}

/**
 * The entry of the newest base backup in the store (bases are named by when they started), or undefined when
 * it holds none; read alone, not with the whole manifest (a year of WAL segments).
 */
export async function newestBase(store: BackupStore): Promise<ArchivedFile | undefined> {
  const bases = (await store.list('manifest')).filter((name) => name.startsWith('manifest/base.')).sort();
  const newest = bases.at(-1);
  return newest === undefined ? undefined : readEntry(store, newest);
}
