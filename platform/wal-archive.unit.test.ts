import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from './archive-manifest.js';
import { localStore } from './backup-store.js';
import { hashOf } from './sealed-files.js';
import { shipCompleted } from './wal-archive.js';

const SEGMENT = '000000010000000000000003';

describe('shipping the spool’s complete segments into the store', () => {
  let dir: string;
  let recipient: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-'));
    recipient = await identityToRecipient(await generateX25519Identity());
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const spoolWith = async (name: string, files: string[]) => {
    const spool = join(dir, name);
    await rm(spool, { recursive: true, force: true });
    await mkdir(spool, { recursive: true });
    for (const file of files) await writeFile(join(spool, file), `WAL of ${file}`);
    return spool;
  };

  it('stores complete segments and history files with their entries, leaving the partial one', async () => {
    const store = localStore(join(dir, 'store-a'));
    const spool = await spoolWith('spool-a', [
      SEGMENT,
      '00000002.history',
      '000000010000000000000004.partial',
    ]);
    expect(await shipCompleted(spool, { store, recipient })).toBe(2);
    expect(await readdir(spool)).toEqual(['000000010000000000000004.partial']);
    const entries = await readManifest(store);
    expect(entries.map((entry) => [entry.kind, entry.name])).toEqual([
      ['wal', `wal/${SEGMENT}.zst.age`],
      ['history', 'wal/00000002.history.zst.age'],
    ]);
  });

  it('completes a segment a crash left stored without its entry, describing what the store holds', async () => {
    const store = localStore(join(dir, 'store-b'));
    const first = await spoolWith('spool-b', [SEGMENT]);
    await shipCompleted(first, { store, recipient });
    // The crash: the entry lost, the segment received again into the spool.
    await rm(join(dir, 'store-b', 'manifest'), { recursive: true });
    const again = await spoolWith('spool-b', [SEGMENT]);
    expect(await shipCompleted(again, { store, recipient })).toBe(1);
    expect(await readdir(again)).toEqual([]);
    const [entry] = await readManifest(store);
    expect(entry).toMatchObject(await hashOf(await store.get(`wal/${SEGMENT}.zst.age`)));
    // Shipped again with its entry there: nothing is written twice, the spool is emptied.
    const thrice = await spoolWith('spool-b', [SEGMENT]);
    expect(await shipCompleted(thrice, { store, recipient })).toBe(1);
    expect(await readManifest(store)).toHaveLength(1);
  });
});
