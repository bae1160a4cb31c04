import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A PostgreSQL cluster on this machine, driven by its own tools: the local stack's, a test's, or one a
 * point-in-time restore builds. PostgreSQL refuses to run as root, so as root the cluster's files belong to
 * the `postgres` system user and its tools run as that user.
 */

const asRoot = process.getuid?.() === 0;

/** The bin folder of the newest PostgreSQL server installed from Debian's packages, if any. */
export function installedBinaries(): string | undefined {
  if (!existsSync('/usr/lib/postgresql')) return undefined;
  const version = readdirSync('/usr/lib/postgresql')
    .filter((candidate) => existsSync(`/usr/lib/postgresql/${candidate}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a))[0];
  return version && `/usr/lib/postgresql/${version}/bin`;
}

/** A command line run as the cluster's owner: this user, or `postgres` when this is root. */
export function asOwner(command: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** Runs a command as the cluster's owner; answers its stdout, throws with its stderr. */
export function runAsOwner(command: string, args: string[]): string {
  const [file, argv] = asOwner(command, args);
  return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Hands a file or folder this process made to the cluster's owner (nothing to do unless this is root). */
export function giveToOwner(path: string) {
  if (!asRoot) return;
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres']).toString()));
  chownSync(path, uid!, gid!);
}

/** Hands a whole folder to the cluster's owner (nothing to do unless this is root). */
export function giveTreeToOwner(path: string) {
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', path]);
}

export const isRoot = () => asRoot;

/** Whether the cluster's owner may write into `dir` (and reach it). */
export function ownerCanWrite(dir: string): boolean {
  try {
    runAsOwner('test', ['-w', dir]);
    return true;
  } catch {
    return false;
  }
}

/** Settings every local cluster starts with: loopback only, TCP only. */
export const loopbackOptions = (port: number) =>
  `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;

/** A new cluster in `dataDir`; trust on loopback only: a local cluster, never a deployment's. */
export function initCluster(bin: string, dataDir: string) {
  runAsOwner(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
  ]);
}

export function clusterRunning(bin: string, dataDir: string): boolean {
  try {
    runAsOwner(join(bin, 'pg_ctl'), ['status', '-D', dataDir]);
    return true;
  } catch {
    return false;
  }
}

/** Starts the cluster in `dataDir` with `options` (postgres command-line settings) and waits until it answers. */
export function startCluster(bin: string, dataDir: string, logFile: string, options: string) {
  runAsOwner(join(bin, 'pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '300']);
}

export function stopCluster(bin: string, dataDir: string) {
  runAsOwner(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w']);
}
