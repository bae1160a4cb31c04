import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backup, BackupRefused, restore, verifiedBackup, type BackupManifest } from '../platform/backup.js';
import { createPool } from '../platform/postgres.js';
import { bankHistory } from './support/bank-history.js';
import { ownInputTopics, produceEvents, startTestProcessor, processedToEnds } from './support/engine.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('encrypted backups of the engine’s PostgreSQL data (README, “Backups”)', () => {
  const kafka = testKafka();
  const groupId = uniqueName('group');
  // The stack's empty database beside the engine's, where restores go; this test's schema there is its own.
  const restoredUrl = Object.assign(new URL(inject('databaseUrl')), {
    pathname: '/achievements_restore',
  }).toString();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let restoredPool: pg.Pool | undefined;
  let processor: Awaited<ReturnType<typeof startTestProcessor>> | undefined;

  beforeAll(async () => {
    db = await migratedSchema();
    topics = await ownInputTopics(kafka, 3);
  });

  afterAll(async () => {
    await processor?.stop();
    await restoredPool?.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`);
    await restoredPool?.end();
    await db?.drop();
  });

  const state = async (pool: pg.Pool) => ({
    progress: (
      await pool.query('SELECT client_id, version, progress FROM client_progress ORDER BY client_id')
    ).rows,
    unlocks: (
      await pool.query(
        `SELECT unlock_id, client_id, achievement_id, unlocked_at, source_event_id FROM achievement_unlocks
          ORDER BY unlock_id`,
      )
    ).rows,
  });

  it('backs up while the engine runs, restores into an empty database, and processing goes on from there', async () => {
    const clients = Array.from({ length: 80 }, () => uniqueName('c'));
    await produceEvents(kafka, topics, bankHistory(clients, 31));
    processor = await startTestProcessor(db.pool, topics, groupId);
    await processedToEnds(db.pool, kafka, topics);

    const identity = await generateX25519Identity();
    const dir = await mkdtemp(join(tmpdir(), 'backup-'));
    const manifestPath = await backup({
      databaseUrl: inject('databaseUrl'),
      schema: db.schema,
      recipient: await identityToRecipient(identity),
      dir,
    });
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;
    const stored = await db.pool.query<{ n: string }>('SELECT sum(next_offset) AS n FROM consumer_offsets');
    expect(manifest.offsets.reduce((sum, o) => sum + Number(o.nextOffset), 0)).toBe(
      Number(stored.rows[0]!.n),
    );
    expect(manifest).toMatchObject({ schema: db.schema, format: 'pg_dump custom, age-encrypted' });
    // Encrypted: no client id, no table name, in the clear.
    const bytes = await readFile(join(dir, manifest.file));
    expect(bytes.length).toBe(manifest.bytes);
    expect(bytes.includes(clients[0]!)).toBe(false);
    expect(bytes.includes('achievement_unlocks')).toBe(false);

    // Traffic goes on after the backup; the original engine processes it.
    await produceEvents(kafka, topics, bankHistory(clients, 32, { from: 20, to: 30 }));
    await processedToEnds(db.pool, kafka, topics);
    const final = await state(db.pool);
    await processor.stop();
    processor = undefined;

    // A file changed after the backup, or a target that is not empty, is refused before anything is written.
    const tampered = join(dir, 'tampered.manifest.json');
    await writeFile(tampered, JSON.stringify({ ...manifest, file: 'tampered.dump.age' }));
    const copy = Buffer.from(bytes);
    copy.writeUInt8(copy.readUInt8(copy.length - 10) ^ 1, copy.length - 10);
    await writeFile(join(dir, 'tampered.dump.age'), copy);
    await expect(verifiedBackup(tampered)).rejects.toBeInstanceOf(BackupRefused);
    await expect(
      restore({ databaseUrl: inject('databaseUrl'), manifestPath, identity, kafka }),
    ).rejects.toThrow(/holds tables: restore into an empty one/);

    expect(await restore({ databaseUrl: restoredUrl, manifestPath, identity, kafka })).toEqual(manifest);
    restoredPool = createPool(restoredUrl, db.schema);
    processor = await startTestProcessor(restoredPool, topics, groupId);
    await processedToEnds(restoredPool, kafka, topics);
    // What was processed after the backup is processed again on the restored state: nothing lost or doubled.
    expect(await state(restoredPool)).toEqual(final);
  }, 180_000);
});
