import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStore, storeName } from './backup-store.js';

describe('the backup store in a local directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a name once, read-only, and never replaces it', async () => {
    const store = localStore(join(dir, 'store'));
    const file = join(dir, 'file');
    await writeFile(file, 'first');
    await store.put('wal/000000010000000000000001.zst.age', file);
    await writeFile(file, 'second');
    await expect(store.put('wal/000000010000000000000001.zst.age', file)).rejects.toThrow(
      'is already in the store',
    );
    expect(await text(await store.get('wal/000000010000000000000001.zst.age'))).toBe('first');
    expect((await stat(join(dir, 'store', 'wal', '000000010000000000000001.zst.age'))).mode & 0o222).toBe(0);
    expect(await store.list('wal')).toEqual(['wal/000000010000000000000001.zst.age']);
    expect(await store.list('base')).toEqual([]);
    expect(await readFile(join(dir, 'store', 'wal', '000000010000000000000001.zst.age'), 'utf8')).toBe(
      'first',
    );
  });

  it('refuses names that reach outside the store', () => {
    for (const name of ['../etc/passwd', 'wal/../../x', '/etc/passwd', 'wal/a/b', 'wal/.hidden', 'wal/'])
      expect(() => storeName(name), name).toThrow('is not a name in the backup store');
  });
});
