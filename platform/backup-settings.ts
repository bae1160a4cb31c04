import { readFile } from 'node:fs/promises';
import { localStore, type BackupStore } from './backup-store.js';
import { withFileVariables } from './config.js';
import { s3Store } from './s3-store.js';

/**
 * Where streaming backups go and what they are sealed to, from the environment (README, "Backups"):
 * BACKUP_STORE is a directory, or `s3://bucket[/prefix]` on BACKUP_S3_ENDPOINT (any S3-compatible store;
 * credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), BACKUP_RECIPIENT (or `_FILE`) the age
 * public key.
 */

/** A setting the backup tools cannot go on without; says which and how to set it. */
export class SettingMissing extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SettingMissing';
  }
}

/** Days each file is locked for; refused unless a whole number of days, so no lock is dropped unseen. */
function retentionDays(value: string | undefined) {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,4}$/.test(value))
    throw new SettingMissing(`BACKUP_S3_RETENTION_DAYS must be a whole number of days, got "${value}"`);
  return Number(value);
}

export function configuredStore(env: NodeJS.ProcessEnv = withFileVariables(process.env)): BackupStore {
  const where = env.BACKUP_STORE ?? 'backups/store';
  if (!where.startsWith('s3://')) return localStore(where);
  const [bucket, ...prefix] = where.slice('s3://'.length).split('/');
  if (!bucket) throw new SettingMissing(`BACKUP_STORE=${where} names no bucket (s3://bucket[/prefix])`);
  return s3Store({
    bucket,
    prefix: prefix.filter(Boolean).join('/'),
    endpoint: env.BACKUP_S3_ENDPOINT,
    region: env.BACKUP_S3_REGION ?? 'us-east-1',
    retentionDays: retentionDays(env.BACKUP_S3_RETENTION_DAYS),
  });
}

export async function configuredRecipient(env: NodeJS.ProcessEnv = withFileVariables(process.env)) {
  const file = env.BACKUP_RECIPIENT_FILE;
  const value = file ? (await readFile(file, 'utf8')).trim() : env.BACKUP_RECIPIENT;
  if (!value)
    throw new SettingMissing(
      'set BACKUP_RECIPIENT (age1…) or BACKUP_RECIPIENT_FILE; see npm run backup -- --keygen',
    );
  return value;
}
