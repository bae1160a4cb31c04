import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../children.js';
import {
  clusterRunning,
  giveToOwner,
  initCluster,
  installedBinaries,
  loopbackOptions,
  startCluster,
  stopCluster,
} from '../../platform/pg-cluster.js';

/**
 * A PostgreSQL cluster of its own beside the stack's, for a backup test or benchmark that needs a whole cluster
 * (its WAL, its base backups) nothing else writes to. It closes a WAL segment every `archiveTimeout` (a second
 * by default), which bounds how long a commit takes to reach the backup store.
 */
export async function scratchCluster(archiveTimeout = '1s') {
  const bin = installedBinaries();
  if (!bin) throw new Error('no PostgreSQL server installed (the stack installs it)');
  const home = await mkdtemp(join(tmpdir(), 'cluster-'));
  giveToOwner(home);
  const port = await freePort();
  const dataDir = join(home, 'data');
  initCluster(bin, dataDir);
  const start = () =>
    startCluster(
      bin,
      dataDir,
      join(home, 'postgres.log'),
      `${loopbackOptions(port)} -c archive_timeout=${archiveTimeout}`,
    );
  start();
  return {
    home,
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** Stops the cluster, its data kept (a disaster, as far as the engine can tell). */
    stop: () => stopCluster(bin, dataDir),
    /** Stops whatever cluster runs from a data directory of this test's (the source, or a restored one). */
    stopDataDir: (dir: string) => clusterRunning(bin, dir) && stopCluster(bin, dir),
    /** Stops every cluster this test started from under its home, and removes it. */
    remove: async (dirs: string[]) => {
      for (const dir of [dataDir, ...dirs]) if (clusterRunning(bin, dir)) stopCluster(bin, dir);
      await rm(home, { recursive: true, force: true });
    },
  };
}
