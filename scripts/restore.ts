/**
 * `npm run restore -- --manifest M --identity F [--into URL]`: verifies the backup M describes, restores it
 * into an empty database (default DATABASE_URL) with the age private key in F, and moves the processors'
 * Kafka offsets to where the restored state stands. Stop every processor first.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BackupRefused, restore } from '../platform/backup.js';
import { config } from '../platform/config.js';
import { createKafka } from '../platform/kafka.js';

const { values } = parseArgs({
  options: { manifest: { type: 'string' }, identity: { type: 'string' }, into: { type: 'string' } },
});
if (!values.manifest || !values.identity) {
  process.stderr.write(
    'usage: npm run restore -- --manifest <file> --identity <age key file> [--into <url>]\n',
  );
  process.exit(2);
}
// An age key file may hold comments (`age-keygen` writes some): the key is its AGE-SECRET-KEY- line.
const identity = (await readFile(values.identity, 'utf8'))
  .split('\n')
  .find((line) => line.startsWith('AGE-SECRET-KEY-'));
try {
  if (!identity) throw new BackupRefused(`${values.identity} holds no AGE-SECRET-KEY- line`);
  const manifest = await restore({
    databaseUrl: values.into ?? config().DATABASE_URL,
    manifestPath: values.manifest,
    identity,
    kafka: createKafka('achievements-restore'),
  });
  process.stdout.write(
    `restored the backup of ${manifest.createdAt}; consumer offsets moved to its ${manifest.offsets.length} ` +
      'positions: start the processors\n',
  );
} catch (error) {
  if (!(error instanceof BackupRefused)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
