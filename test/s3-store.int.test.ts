import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitNewKey } from '../platform/key-shares.js';
import { giveToOwner } from '../platform/pg-cluster.js';
import { migrate } from '../platform/postgres.js';
import { s3Store } from '../platform/s3-store.js';
import { freePort, startRole, stopRole } from '../scripts/children.js';
import { LOCAL_S3_CREDENTIALS, startS3Server } from '../scripts/stack/s3-server.js';
import { scratchCluster } from '../scripts/stack/scratch-cluster.js';
import { ownEngine } from './support/roles.js';
import { runScript } from './support/scripts.js';
import { walStoredUpToNow } from './support/wal-stored.js';
import { testKafka, uniqueName } from './support/stack.js';

/**
 * The backup store on a real S3-compatible server with object lock (versitygw): a name is written once, a
 * locked file cannot be deleted, and a streaming backup into a bucket restores from it.
 */
describe('the backup store in an S3 bucket with object lock', () => {
  let server: Awaited<ReturnType<typeof startS3Server>>;
  let home: string;
  let s3: S3Client;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 's3-'));
    giveToOwner(home);
    server = await startS3Server(home, await freePort());
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
    });
  }, 600_000);

  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const lockedBucket = async () => {
    const bucket = uniqueName('backups');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    return bucket;
  };
  const storeIn = (bucket: string, retentionDays?: number) =>
    s3Store({
      bucket,
      prefix: 'engine',
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_S3_CREDENTIALS,
      ...(retentionDays ? { retentionDays } : {}),
    });

  it('writes a name once, lists and reads it back, and a locked file is not deleted', async () => {
    const bucket = await lockedBucket();
    const store = storeIn(bucket, 1);
    const file = join(home, 'segment');
    await writeFile(file, 'sealed WAL');
    await store.put('wal/000000010000000000000001.zst.age', file);
    await writeFile(file, 'another content');
    await expect(store.put('wal/000000010000000000000001.zst.age', file)).rejects.toThrow(
      'is already in the store s3://',
    );
    expect(await store.list('wal')).toEqual(['wal/000000010000000000000001.zst.age']);
    expect(await text(await store.get('wal/000000010000000000000001.zst.age'))).toBe('sealed WAL');
    await expect(store.get('wal/000000010000000000000002.zst.age')).rejects.toThrow(
      'is missing from the store',
    );

    const { Versions } = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const version = Versions![0]!;
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: version.Key, VersionId: version.VersionId })),
    ).rejects.toThrow();
    expect(await text(await store.get('wal/000000010000000000000001.zst.age'))).toBe('sealed WAL');
  });

  it('takes a streaming backup into the bucket and restores it to the latest', async () => {
    const bucket = await lockedBucket();
    const cluster = await scratchCluster();
    const restoredDir = join(home, 'restored');
    try {
      await migrate(cluster.url, 'public');
      const engine = await ownEngine(testKafka(), 'public', 1);
      const key = await splitNewKey(3, 2);
      const shares = [join(home, 'share-1.txt'), join(home, 'share-2.txt')];
      await writeFile(shares[0]!, key.sheets[0]!);
      await writeFile(shares[1]!, key.sheets[1]!);
      const env = {
        ...engine.env,
        DATABASE_URL: cluster.url,
        DATABASE_SCHEMA: 'public',
        BACKUP_STORE: `s3://${bucket}/engine`,
        BACKUP_S3_ENDPOINT: server.endpoint,
        BACKUP_S3_RETENTION_DAYS: '1',
        AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
        BACKUP_RECIPIENT: key.recipient,
        BACKUP_DATABASE_URL: cluster.url,
      };
      const archiver = await startRole('backup', { ...env, BACKUP_SPOOL: join(home, 'spool') });
      expect((await runScript('backup.ts', ['--base'], env)).code).toBe(0);
      const db = new pg.Client({ connectionString: cluster.url });
      await db.connect();
      await db.query('CREATE TABLE probe (n integer)');
      await db.query('INSERT INTO probe (n) VALUES (1), (2)');
      // Written after the base: only the WAL streamed into the bucket brings these rows back.
      await walStoredUpToNow(db, storeIn(bucket), 30_000);
      await db.end();
      expect(await stopRole(archiver)).toBe(0);
      const port = await freePort();
      const run = await runScript(
        'restore.ts',
        [
          '--latest',
          '--data-dir',
          restoredDir,
          '--port',
          String(port),
          '--share',
          shares[0]!,
          '--share',
          shares[1]!,
        ],
        env,
      );
      expect(run.code, run.stderr).toBe(0);
      const restored = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
      await restored.connect();
      expect(
        (await restored.query('SELECT n FROM probe ORDER BY n')).rows.map(({ n }) => n as number),
      ).toEqual([1, 2]);
      await restored.end();
    } finally {
      await cluster.remove([restoredDir]);
    }
  }, 180_000);
});
