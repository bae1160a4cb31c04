import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where streaming backups go (docs/runbook.md, "Backups"): append-only. A name is written once and never again,
 * nothing is ever deleted by the engine; how long files are kept is the store's own policy (object lock on a
 * bucket, the file system's on a directory). Names are `<folder>/<file>` of a fixed alphabet, so nothing read
 * from a manifest can point outside the store.
 */
export interface BackupStore {
  /** Writes a new file from a local one; refuses a name already written. */
  put(name: string, localFile: string): Promise<void>;
  /** The file's content. */
  get(name: string): Promise<Readable>;
  /** Whether a file of that name is stored. */
  has(name: string): Promise<boolean>;
  /** The names under a folder (`wal`, `base`, `manifest`), sorted. */
  list(folder: string): Promise<string[]>;
  /** Where the store is, as messages name it. */
  readonly where: string;
}

/** A store refused what was asked: an existing name, a name outside the store, a missing file. */
export class StoreRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'StoreRefused';
  }
}

const NAME = /^[a-z]+\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A store's name checked: one folder, one file, no way up or out. */
export function storeName(name: string): string {
  if (!NAME.test(name) || name.includes('..'))
    throw new StoreRefused(`"${name}" is not a name in the backup store (folder/file, no path of its own)`);
  return name;
}

/**
 * A local directory (or a mounted volume): each file is written under a fresh temporary name, flushed, then
 * linked to its name, which fails if the name exists, so two writers never replace each other's file; the
 * file is left read-only.
 */
export function localStore(root: string): BackupStore {
  const incoming = join(root, '.incoming');
  return {
    where: root,
    async put(name, localFile) {
      const target = join(root, storeName(name));
      await mkdir(incoming, { recursive: true });
      await mkdir(join(target, '..'), { recursive: true });
      const temporary = join(incoming, randomUUID());
      await pipeline(createReadStream(localFile), (await open(temporary, 'wx')).createWriteStream());
      const written = await open(temporary, 'r');
      await written.sync();
      await written.close();
      try {
        await link(temporary, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          throw new StoreRefused(`${name} is already in the store ${root}: a file is never written twice`);
        throw error;
      } finally {
        await rm(temporary, { force: true });
      }
      await chmod(target, 0o444);
    },
    async get(name) {
      const file = join(root, storeName(name));
      await stat(file).catch(() => {
        throw new StoreRefused(`${name} is missing from the store ${root}`);
      });
      return createReadStream(file);
    },
    has: (name) =>
      stat(join(root, storeName(name))).then(
        () => true,
        () => false,
      ),
    async list(folder) {
      const names = await readdir(join(root, folder)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      });
      return names.map((file) => `${folder}/${file}`).sort();
    },
  };
}
