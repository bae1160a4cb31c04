/**
 * `npm run backup -- --keygen --shares 5 --threshold 3 [--out DIR]`: makes the backup key pair and splits its
 * private key into one printable share per custodian (DIR/backup-key-share-<i>-of-<n>.txt); the public key is
 * printed for BACKUP_RECIPIENT, the private key is never written whole.
 * `npm run backup -- --base`: a base backup of the cluster, sealed, into BACKUP_STORE, taken by hand (the backup
 * role, `main.ts backup`, streams the WAL and takes them on its schedule).
 * `npm run backup -- [--dir D]`: a `pg_dump` snapshot of the engine's schema, sealed, to D (default ./backups).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { StoreRefused } from '../platform/backup-store.js';
import { configuredRecipient, configuredStore, SettingMissing } from '../platform/backup-settings.js';
import { backup, BackupRefused } from '../platform/backup.js';
import { config, withFileVariables } from '../platform/config.js';
import { ShareRefused, splitNewKey } from '../platform/key-shares.js';
import { RecipientRefused } from '../platform/sealed-files.js';
import { baseBackup } from '../platform/wal-archive.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'backups' },
    keygen: { type: 'boolean', default: false },
    shares: { type: 'string', default: '5' },
    threshold: { type: 'string', default: '3' },
    out: { type: 'string', default: '.' },
    base: { type: 'boolean', default: false },
  },
});

/** The URL the backup tools connect with: a role with REPLICATION (BACKUP_DATABASE_URL), or the engine's. */
const databaseUrl = () => withFileVariables(process.env).BACKUP_DATABASE_URL ?? config().DATABASE_URL;

async function keygen() {
  const shares = Number(values.shares);
  const { recipient, sheets } = await splitNewKey(shares, Number(values.threshold));
  await mkdir(values.out, { recursive: true });
  for (const [i, sheet] of sheets.entries())
    await writeFile(join(values.out, `backup-key-share-${i + 1}-of-${shares}.txt`), sheet, {
      mode: 0o600,
      flag: 'wx',
    });
  process.stdout.write(
    `${shares} shares written to ${values.out} (any ${values.threshold} rebuild the key): hand one to each ` +
      `custodian and delete them here\nBACKUP_RECIPIENT=${recipient}\n`,
  );
}

async function base() {
  const entry = await baseBackup(databaseUrl(), {
    store: configuredStore(),
    recipient: await configuredRecipient(),
  });
  process.stdout.write(`base backup stored: ${entry.name} (${entry.bytes} bytes, WAL ${entry.walStart}…)\n`);
}

async function snapshot() {
  await mkdir(values.dir, { recursive: true });
  const manifest = await backup({
    databaseUrl: config().DATABASE_URL,
    schema: 'public',
    recipient: await configuredRecipient(),
    dir: values.dir,
  });
  process.stdout.write(`backup written; manifest ${manifest}\n`);
}

const refusals = [BackupRefused, ShareRefused, StoreRefused, SettingMissing, RecipientRefused];
try {
  if (values.keygen) await keygen();
  else if (values.base) await base();
  else await snapshot();
} catch (error) {
  if (!refusals.some((refusal) => error instanceof refusal)) throw error;
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
