import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { postgresTool } from './postgres-tools.js';
import { digest, encrypterTo, hashOf, opened, RecipientRefused, sealed } from './sealed-files.js';

/**
 * Encrypted backups of the engine's PostgreSQL data (README, "Backups"): `pg_dump` streamed through age
 * encryption to a public key, so the server never holds what decrypts it; a manifest says what the dump holds
 * (its time, the Kafka offsets its state corresponds to, its size and SHA-256). A restore verifies the file
 * against its manifest, restores into an empty database and moves the consumer groups' Kafka offsets to where
 * the restored state stands, so processing resumes exactly there.
 */

/** Where the engine's state stood in Kafka when the dump's snapshot was taken: one row per stored position. */
export interface ManifestOffset {
  groupId: string;
  topic: string;
  partition: number;
  nextOffset: string;
}

export interface BackupManifest {
  format: 'pg_dump custom, age-encrypted';
  createdAt: string;
  schema: string;
  /** The dump file, beside the manifest. */
  file: string;
  bytes: number;
  sha256: string;
  /** The age recipient it was encrypted to: the private key that decrypts it is kept elsewhere. */
  recipient: string;
  offsets: ManifestOffset[];
}

/** A backup or restore that cannot go on; nothing was written, or the target was left as it was. */
export class BackupRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BackupRefused';
  }
}

/** Waits for a stream and the tool at its other end; the tool's failure says more than a broken pipe. */
async function settled(streamed: Promise<void>, tool: Promise<unknown>) {
  const [stream, exit] = await Promise.allSettled([streamed, tool]);
  if (exit.status === 'rejected') throw exit.reason;
  if (stream.status === 'rejected') throw stream.reason;
}

export interface BackupOptions {
  databaseUrl: string;
  /** The engine's schema (`public` in a deployment). */
  schema: string;
  recipient: string;
  dir: string;
  now?: () => Date;
}

/**
 * Streams an encrypted dump of the schema to `dir`, and its manifest beside it; answers the manifest's path.
 * The dump and the offsets in the manifest come from one snapshot, taken while the engine runs.
 */
export async function backup(options: BackupOptions): Promise<string> {
  try {
    encrypterTo(options.recipient);
  } catch (error) {
    throw error instanceof RecipientRefused ? new BackupRefused(error.message) : error;
  }
  const createdAt = (options.now ?? (() => new Date()))();
  const name = `engine-${createdAt.toISOString().replace(/[:.]/g, '-')}`;
  const file = `${name}.dump.age`;
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const offsets = await storedOffsets(client, `${pg.escapeIdentifier(options.schema)}.consumer_offsets`);
    const dump = postgresTool(
      'pg_dump',
      ['--format=custom', `--schema=${options.schema}`, '--no-owner', `--snapshot=${snapshot}`],
      options.databaseUrl,
    );
    const counted = digest();
    const encrypted = await sealed(options.recipient, dump.child.stdout);
    await settled(pipeline(encrypted, counted.stream, createWriteStream(join(options.dir, file))), dump.done);
    await client.query('COMMIT');
    const manifest: BackupManifest = {
      format: 'pg_dump custom, age-encrypted',
      createdAt: createdAt.toISOString(),
      schema: options.schema,
      file,
      ...counted.result(),
      recipient: options.recipient,
      offsets,
    };
    const manifestPath = join(options.dir, `${name}.manifest.json`);
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return manifestPath;
  } finally {
    await client.end();
  }
}

/** The manifest and the dump beside it, checked: the dump's size and SHA-256 are the manifest's. */
export async function verifiedBackup(manifestPath: string) {
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;
  const file = join(dirname(manifestPath), basename(manifest.file));
  const { size } = await stat(file);
  const { bytes, sha256 } = await hashOf(createReadStream(file));
  if (size !== manifest.bytes || bytes !== manifest.bytes || sha256 !== manifest.sha256)
    throw new BackupRefused(
      `${file} is not the file its manifest describes (${bytes} bytes, SHA-256 ${sha256}; the manifest says ` +
        `${manifest.bytes} bytes, ${manifest.sha256}): it was changed or cut short`,
    );
  return { manifest, file };
}

export interface RestoreOptions {
  databaseUrl: string;
  manifestPath: string;
  /** The age identity (AGE-SECRET-KEY-1…) that decrypts it: kept off the server, brought for the restore. */
  identity: string;
  kafka: Kafka;
}

/** Refuses a target whose schema holds anything; an empty one is dropped, as the dump creates it. */
async function ensureEmpty(databaseUrl: string, schema: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ tables: string }>(
      'SELECT count(*) AS tables FROM pg_tables WHERE schemaname = $1',
      [schema],
    );
    if (Number(rows[0]!.tables) > 0)
      throw new BackupRefused(
        `schema ${schema} of the target database holds tables: restore into an empty one`,
      );
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)}`).catch((error: Error) => {
      throw new BackupRefused(`schema ${schema} of the target database is not empty: ${error.message}`);
    });
  } finally {
    await client.end();
  }
}

/** Where the engine's state stands in Kafka, as the database (a restored one) stores it. */
export async function storedOffsets(
  db: pg.Pool | pg.ClientBase,
  table = 'consumer_offsets',
): Promise<ManifestOffset[]> {
  const { rows } = await db.query<ManifestOffset>(
    `SELECT group_id AS "groupId", topic, partition, next_offset::text AS "nextOffset"
       FROM ${table} ORDER BY group_id, topic, partition`,
  );
  return rows;
}

const groupsOf = (offsets: ManifestOffset[]) => [...new Set(offsets.map((o) => o.groupId))];

/** Refuses while a consumer group the backup knows has members: they would go on from their own offsets. */
export async function ensureGroupsStopped(kafka: Kafka, offsets: ManifestOffset[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups(groupsOf(offsets));
    const running = groups.filter((group) => group.members.length > 0).map((group) => group.groupId);
    if (running.length > 0)
      throw new BackupRefused(`processors of ${running.join(', ')} are running; stop them before restoring`);
  } finally {
    await admin.disconnect();
  }
}

/** Moves every consumer group the backup knows to where its restored state stands. */
export async function moveKafkaOffsets(kafka: Kafka, offsets: ManifestOffset[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const groupId of groupsOf(offsets))
      for (const topic of new Set(offsets.filter((o) => o.groupId === groupId).map((o) => o.topic)))
        await admin.setOffsets({
          groupId,
          topic,
          partitions: offsets
            .filter((o) => o.groupId === groupId && o.topic === topic)
            .map((o) => ({ partition: o.partition, offset: o.nextOffset })),
        });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Restores a backup into an empty database: verified against its manifest first, decrypted as it streams
 * into `pg_restore`, and the consumer groups' Kafka offsets moved to the restored positions, so processors
 * started on the restored database go on from exactly there: nothing after the backup is lost, nothing before
 * it counted twice. Answers the manifest.
 */
export async function restore(options: RestoreOptions): Promise<BackupManifest> {
  const { manifest, file } = await verifiedBackup(options.manifestPath);
  await ensureEmpty(options.databaseUrl, manifest.schema);
  await ensureGroupsStopped(options.kafka, manifest.offsets);
  const restoring = postgresTool('pg_restore', ['--no-owner', '--exit-on-error'], options.databaseUrl);
  const decrypted = await opened(options.identity, createReadStream(file));
  await settled(pipeline(decrypted, restoring.child.stdin), restoring.done);
  await moveKafkaOffsets(options.kafka, manifest.offsets);
  return manifest;
}
