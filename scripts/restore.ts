/**
 * `npm run restore -- --to <time> | --latest --data-dir D [--port P] --share F …`: restores the streaming
 * backup in BACKUP_STORE into the empty data directory D up to that time (or all of it) and starts it on
 * 127.0.0.1:P; then applies again the erasures journaled after it, and moves the processors' Kafka offsets to
 * where the restored database stands. Stop every processor first.
 * `npm run restore -- --manifest M --share F … [--into URL]`: restores a `pg_dump` snapshot instead.
 * The private key is rebuilt in memory from custodians' shares: files given with --share, then lines typed
 * (or piped) on stdin until there are enough.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { reapplyErasures } from '../api/erasure-journal.js';
import { StoreRefused } from '../platform/backup-store.js';
import { configuredStore, SettingMissing } from '../platform/backup-settings.js';
import {
  BackupRefused,
  ensureGroupsStopped,
  moveKafkaOffsets,
  restore,
  storedOffsets,
} from '../platform/backup.js';
import { config } from '../platform/config.js';
import { createKafka } from '../platform/kafka.js';
import { parseShare, rebuildKey, ShareRefused } from '../platform/key-shares.js';
import { restorePointInTime } from '../platform/point-in-time.js';
import { createPool } from '../platform/postgres.js';
import { configuredTopics } from '../platform/topics.js';

const { values } = parseArgs({
  options: {
    manifest: { type: 'string' },
    into: { type: 'string' },
    share: { type: 'string', multiple: true, default: [] },
    to: { type: 'string' },
    latest: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    port: { type: 'string', default: '55433' },
  },
});

const USAGE =
  'usage: npm run restore -- (--to <time> | --latest) --data-dir <empty dir> [--port <port>] --share <file> …\n' +
  '       npm run restore -- --manifest <file> --share <file> … [--into <url>]\n';

/** The shares given as files, then typed ones until the threshold the first names is reached. */
async function shares() {
  const given = await Promise.all(
    values.share.map(async (file) => ({ text: await readFile(file, 'utf8'), source: file })),
  );
  const threshold = given[0] ? parseShare(given[0].text, given[0].source).threshold : 1;
  if (given.length >= threshold && given.length > 0) return given;
  process.stderr.write('type or paste each missing share line (ACHV-SHARE-1:…), one per line:\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    given.push({ text: line, source: `typed share ${given.length + 1}` });
    const needed = given.length === 1 ? parseShare(line, given[0]!.source).threshold : threshold;
    if (given.length >= needed) break;
  }
  lines.close();
  return given;
}

/** The time `--to` names, refused unless it is one. */
function target(): Date | 'latest' {
  if (values.latest) return 'latest';
  const time = new Date(values.to ?? '');
  // A time without its offset would be read in this machine's zone, which need not be the operator's.
  if (Number.isNaN(time.getTime()) || !/(Z|[+-]\d\d:\d\d)$/.test(values.to ?? ''))
    throw new SettingMissing(`--to "${values.to}" is not a time with its offset (2026-12-06T14:30:00Z)`);
  return time;
}

async function pointInTime(identity: string) {
  const to = target();
  const restored = await restorePointInTime({
    store: configuredStore(),
    identity,
    dataDir: values['data-dir']!,
    port: Number(values.port),
    target: to,
    progress: (message) => process.stderr.write(`${message}\n`),
  });
  // The engine's database and role, on the restored cluster (loopback, its restore-time pg_hba: no TLS).
  const engineUrl = Object.assign(new URL(config().DATABASE_URL), {
    host: `127.0.0.1:${values.port}`,
    search: '',
  }).toString();
  const db = createPool(engineUrl, config().DATABASE_SCHEMA);
  const kafka = createKafka('achievements-restore');
  try {
    const offsets = await storedOffsets(db);
    await ensureGroupsStopped(kafka, offsets);
    const erased = await reapplyErasures(
      db,
      kafka,
      configuredTopics().erasures,
      `restored to ${to === 'latest' ? 'the latest backup' : to.toISOString()}`,
    );
    await moveKafkaOffsets(kafka, offsets);
    process.stdout.write(
      `restored up to ${to === 'latest' ? 'the latest' : to.toISOString()} from the base backup of ${restored.base.startedAt} and ` +
        `${restored.segments} WAL segments; running on ${restored.url}; ${erased.length} later erasures ` +
        `applied again; consumer offsets moved to its ${offsets.length} positions: point DATABASE_URL at it ` +
        'and start the workers, then the processors\n',
    );
  } finally {
    await db.end();
  }
}

async function snapshot(identity: string) {
  const manifest = await restore({
    databaseUrl: values.into ?? config().DATABASE_URL,
    manifestPath: values.manifest!,
    identity,
    kafka: createKafka('achievements-restore'),
  });
  process.stdout.write(
    `restored the backup of ${manifest.createdAt}; consumer offsets moved to its ${manifest.offsets.length} ` +
      'positions: start the processors\n',
  );
}

const pointInTimeAsked = (values.to !== undefined || values.latest) && values['data-dir'] !== undefined;
if (!pointInTimeAsked && !values.manifest) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const refusals = [BackupRefused, ShareRefused, StoreRefused, SettingMissing];
try {
  const { identity } = await rebuildKey(await shares());
  if (pointInTimeAsked) await pointInTime(identity);
  else await snapshot(identity);
} catch (error) {
  if (!refusals.some((refusal) => error instanceof refusal)) throw error;
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
