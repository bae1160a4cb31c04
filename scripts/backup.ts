/**
 * `npm run backup -- [--dir D]`: streams an encrypted dump of the engine's PostgreSQL data to D (default
 * `./backups`), encrypted to the age public key in BACKUP_RECIPIENT (or BACKUP_RECIPIENT_FILE), with its
 * manifest beside it. `npm run backup -- --keygen F` makes a key pair: the private key goes to F (keep it off
 * the server: a USB key, a vault), the public one is printed for BACKUP_RECIPIENT.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { backup, BackupRefused } from '../platform/backup.js';
import { config } from '../platform/config.js';

const { values } = parseArgs({
  options: { dir: { type: 'string', default: 'backups' }, keygen: { type: 'string' } },
});

async function recipient() {
  const file = process.env.BACKUP_RECIPIENT_FILE;
  const value = file ? (await readFile(file, 'utf8')).trim() : process.env.BACKUP_RECIPIENT;
  if (!value) throw new BackupRefused('set BACKUP_RECIPIENT (age1…) or BACKUP_RECIPIENT_FILE; see --keygen');
  return value;
}

try {
  if (values.keygen) {
    const identity = await generateX25519Identity();
    await writeFile(values.keygen, `${identity}\n`, { mode: 0o600, flag: 'wx' });
    process.stdout.write(
      `private key written to ${values.keygen}; BACKUP_RECIPIENT=${await identityToRecipient(identity)}\n`,
    );
  } else {
    await mkdir(values.dir, { recursive: true });
    const manifest = await backup({
      databaseUrl: config().DATABASE_URL,
      schema: 'public',
      recipient: await recipient(),
      dir: values.dir,
    });
    process.stdout.write(`backup written; manifest ${manifest}\n`);
  }
} catch (error) {
  if (!(error instanceof BackupRefused)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
