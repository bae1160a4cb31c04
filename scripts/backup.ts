/**
 * `npm run backup -- --keygen --shares 5 --threshold 3 [--out DIR]`: makes the backup key pair and splits its
 * private key into one printable share per custodian (DIR/backup-key-share-<i>-of-<n>.txt); the public key is
 * printed for BACKUP_RECIPIENT, the private key is never written whole.
 * `npm run backup -- --stream [--spool DIR]`: streams every WAL segment, sealed, into BACKUP_STORE until stopped,
 * with a base backup at once when the store holds none and every BACKUP_BASE_INTERVAL (24h) after.
 * `npm run backup -- --base`: a base backup of the cluster, sealed, into BACKUP_STORE.
 * `npm run backup -- [--dir D]`: a `pg_dump` snapshot of the engine's schema, sealed, to D (default ./backups).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readManifest } from '../platform/archive-manifest.js';
import { StoreRefused } from '../platform/backup-store.js';
import { configuredRecipient, configuredStore, SettingMissing } from '../platform/backup-settings.js';
import { backup, BackupRefused } from '../platform/backup.js';
import { config, withFileVariables } from '../platform/config.js';
import { parseDuration } from '../platform/duration.js';
import { ShareRefused, splitNewKey } from '../platform/key-shares.js';
import { logger } from '../platform/logger.js';
import { RecipientRefused } from '../platform/sealed-files.js';
import { baseBackup, streamWal } from '../platform/wal-archive.js';

const log = logger('backup');

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'backups' },
    keygen: { type: 'boolean', default: false },
    shares: { type: 'string', default: '5' },
    threshold: { type: 'string', default: '3' },
    out: { type: 'string', default: '.' },
    stream: { type: 'boolean', default: false },
    spool: { type: 'string', default: process.env.BACKUP_SPOOL ?? 'backups/spool' },
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

/** How often the streaming process takes a base backup (BACKUP_BASE_INTERVAL, a day by default). */
function baseInterval() {
  const text = process.env.BACKUP_BASE_INTERVAL ?? '24h';
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new SettingMissing(`BACKUP_BASE_INTERVAL must be a duration like 24h or 7d, got "${text}"`);
  return ms;
}

async function stream() {
  const target = { store: configuredStore(), recipient: await configuredRecipient() };
  const every = baseInterval();
  const wal = await streamWal({
    ...target,
    databaseUrl: databaseUrl(),
    spool: values.spool,
    slot: process.env.BACKUP_SLOT ?? 'achievements_backup',
  });
  process.stdout.write(`streaming the WAL into ${target.store.where}; stop with Ctrl-C\n`);
  // The schedule of base backups: one at once when the store holds none (the WAL alone restores nothing),
  // then one every interval; a restore replays the WAL from the newest one before its target.
  const takeBase = () =>
    baseBackup(databaseUrl(), target).then(
      (entry) => log.info({ name: entry.name, bytes: entry.bytes }, 'base backup stored'),
      (error: unknown) =>
        log.error({ err: error }, 'base backup failed; the next one is at the next interval'),
    );
  if (!(await readManifest(target.store)).some((entry) => entry.kind === 'base')) await takeBase();
  const schedule = setInterval(() => void takeBase(), every);
  const stop = () => void wal.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const byItself = await wal.ended;
  clearInterval(schedule);
  await wal.stop();
  process.stdout.write(`stopped; ${wal.shipped()} files stored\n`);
  // pg_receivewal gave up by itself (its slot dropped, its role refused): end non-zero, to be restarted.
  if (byItself) process.exitCode = 1;
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
  else if (values.stream) await stream();
  else if (values.base) await base();
  else await snapshot();
} catch (error) {
  if (!refusals.some((refusal) => error instanceof refusal)) throw error;
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
