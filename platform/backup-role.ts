import { newestBase } from './archive-manifest.js';
import { configuredRecipient, configuredStore, SettingMissing } from './backup-settings.js';
import { config, withFileVariables } from './config.js';
import { parseDuration } from './duration.js';
import type { HealthProbe } from './health.js';
import { logger } from './logger.js';
import { metrics } from './metrics.js';
import { baseBackup, streamWal } from './wal-archive.js';

/**
 * `main.ts backup`: streaming backups as a role of their own (docs/runbook.md, "Backups"), watched as the
 * others are: its metrics say when the store last took a segment and a base backup, it is ready while
 * pg_receivewal runs, and it ends non-zero, to be restarted, when pg_receivewal gave up by itself. One replica
 * per replication slot.
 */

const log = logger('backup');

/** How often a base backup is taken (BACKUP_BASE_INTERVAL, a day by default). */
function baseInterval(env: NodeJS.ProcessEnv) {
  const text = env.BACKUP_BASE_INTERVAL ?? '24h';
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new SettingMissing(`BACKUP_BASE_INTERVAL must be a duration like 24h or 7d, got "${text}"`);
  return ms;
}

export async function startBackupRole(onFailure: (error: Error) => void) {
  const env = withFileVariables(process.env);
  const target = { store: configuredStore(env), recipient: await configuredRecipient(env) };
  const every = baseInterval(env);
  const databaseUrl = env.BACKUP_DATABASE_URL ?? config().DATABASE_URL;
  const wal = await streamWal({
    ...target,
    databaseUrl,
    spool: env.BACKUP_SPOOL ?? 'backups/spool',
    slot: env.BACKUP_SLOT ?? 'achievements_backup',
    onStored: (entry) => {
      metrics.backupFilesStored.inc({ kind: entry.kind });
      metrics.backupLastStored.set({ kind: entry.kind }, Date.parse(entry.archivedAt) / 1000);
    },
  });
  log.info({ store: target.store.where }, 'streaming the WAL');
  // Stopping the role stops a base backup under way: pg_basebackup would otherwise run on after the role.
  const stopping = new AbortController();
  let taking: Promise<void> | undefined;
  // One base at once when the store holds none (the WAL alone restores nothing), then one every interval; a
  // restore replays the WAL from the newest one before its target.
  const takeBase = () =>
    (taking = baseBackup(databaseUrl, target, stopping.signal).then(
      (entry) => {
        metrics.backupFilesStored.inc({ kind: 'base' });
        metrics.backupLastStored.set({ kind: 'base' }, Date.parse(entry.archivedAt) / 1000);
        log.info({ name: entry.name, bytes: entry.bytes }, 'base backup stored');
      },
      (error: unknown) =>
        stopping.signal.aborted
          ? log.info('base backup stopped with the role; nothing of it stored')
          : log.error({ err: error }, 'base backup failed; the next one is at the next interval'),
    ));
  const newest = await newestBase(target.store);
  if (!newest) await takeBase();
  // The next one is counted from when the newest in the store was stored, so a role restarted more often than
  // the interval still takes them; then from the end of the last this process took, never from a timer that fires
  // while one still runs: base backups slower than their interval (a big cluster, a busy machine) would otherwise
  // pile up until they took every WAL sender the server has, pg_receivewal's among them.
  let schedule: NodeJS.Timeout | undefined;
  let stopped = false;
  const scheduleNext = (afterMs = every) => {
    if (stopped) return;
    schedule = setTimeout(() => void takeBase().finally(scheduleNext), afterMs);
  };
  scheduleNext(newest ? Math.max(0, Date.parse(newest.archivedAt) + every - Date.now()) : every);
  let gaveUp: Error | undefined;
  void wal.ended.then((byItself) => {
    if (!byItself) return;
    const said = wal.lastWords().join(' | ') || 'it wrote nothing';
    gaveUp = new Error(`pg_receivewal ended by itself: ${said}`);
    onFailure(gaveUp);
  });
  const probes: Record<string, HealthProbe> = {
    'wal stream': () => (gaveUp ? Promise.reject(gaveUp) : Promise.resolve()),
  };
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(schedule);
      stopping.abort();
      await taking;
      await wal.stop();
    },
    probes,
  };
}
