import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { LOCAL_DATABASE_URL } from '../../platform/config.js';
import {
  clusterRunning,
  giveToOwner,
  initCluster,
  installedBinaries,
  isRoot,
  loopbackOptions,
  ownerCanWrite,
  runAsOwner,
  startCluster,
  stopCluster,
} from '../../platform/pg-cluster.js';
import { DATA_DIR } from './paths.js';
import { aptInstall } from './apt.js';
import { StackError, waitUntilReady } from './processes.js';

const PORT = 55432;
const ADMIN_URL = `postgres://postgres@127.0.0.1:${PORT}/postgres`;
/** The server's bin folder, installing PostgreSQL from Debian's packages when it is missing. */
async function serverBinaries(): Promise<string> {
  if (!installedBinaries()) {
    if (!isRoot()) throw new StackError('postgres', 'not installed; run: sudo apt-get install -y postgresql');
    console.log("postgres: installing PostgreSQL from Debian's packages");
    await aptInstall('postgres', ['postgresql']);
  }
  const bin = installedBinaries();
  if (!bin) throw new StackError('postgres', 'apt-get finished but no initdb was found');
  return bin;
}

const run = runAsOwner;

/**
 * The cluster's folder: inside the git-ignored data folder, unless that lies where the `postgres` user cannot
 * reach (a clone under /root); then a folder of its own under /var/lib, keyed by the data folder's path.
 */
function clusterHome(): string {
  const preferred = join(DATA_DIR, 'postgres');
  mkdirSync(preferred, { recursive: true });
  if (!isRoot()) return preferred;
  giveToOwner(preferred);
  if (ownerCanWrite(preferred)) return preferred;
  const key = createHash('sha256').update(DATA_DIR).digest('hex').slice(0, 12);
  const fallback = `/var/lib/achievements-stack/${key}/postgres`;
  mkdirSync(fallback, { recursive: true });
  giveToOwner(fallback);
  return fallback;
}

/** True when the server at `url` runs a query. */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the engine's login role and database on first start, and an empty database beside it to restore
 * backups into (a restore drill, README "Backups").
 */
async function ensureDatabase() {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const role = await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = 'achievements'`);
    if (role.rowCount === 0) await admin.query('CREATE ROLE achievements LOGIN');
    // Streaming backups read the WAL and take base backups over the replication protocol.
    await admin.query('ALTER ROLE achievements REPLICATION');
    // The processor compresses the full-page images its writes log (README, "Checkpoints"), as a DBA lets it.
    await admin.query('GRANT SET ON PARAMETER wal_compression TO achievements');
    for (const database of ['achievements', 'achievements_restore']) {
      const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (db.rowCount === 0) await admin.query(`CREATE DATABASE ${database} OWNER achievements`);
    }
  } finally {
    await admin.end();
  }
}

function locate() {
  const home = clusterHome();
  return {
    home,
    dataDir: join(home, 'data'),
    logFile: join(home, 'postgres.log'),
    tlsDir: join(home, 'tls'),
  };
}

/** The CA that signed the local cluster's certificate: `sslrootcert` for `sslmode=verify-full`. */
export const localPostgresCa = () => join(locate().tlsDir, 'ca.crt');

/**
 * A CA of the stack's own and a certificate it signed for localhost and 127.0.0.1, made once: the local
 * cluster speaks TLS as a bank's does, so `sslmode=verify-full` can be tried on a laptop (plain connections
 * on loopback stay allowed).
 */
function ensureCertificate(tlsDir: string) {
  if (existsSync(join(tlsDir, 'server.crt'))) return;
  run('mkdir', ['-p', tlsDir]);
  const file = (name: string) => join(tlsDir, name);
  const openssl = (args: string[]) => run('openssl', args);
  openssl([
    ...[
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=achievements local CA',
    ],
    ...['-keyout', file('ca.key'), '-out', file('ca.crt')],
  ]);
  openssl([
    ...['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost'],
    ...['-keyout', file('server.key'), '-out', file('server.csr')],
  ]);
  writeFileSync(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl([
    ...['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key')],
    ...['-CAcreateserial', '-days', '3650', '-extfile', file('san.ext'), '-out', file('server.crt')],
  ]);
  run('chmod', ['600', file('server.key'), file('ca.key')]);
}

/** Starts (creating on first use) the local cluster on 127.0.0.1:55432 and waits until it answers. */
export async function startPostgres() {
  const bin = await serverBinaries();
  const { dataDir, logFile, tlsDir } = locate();
  if (!existsSync(join(dataDir, 'PG_VERSION'))) initCluster(bin, dataDir);
  ensureCertificate(tlsDir);
  if (!clusterRunning(bin, dataDir)) {
    const tls = `-c ssl=on -c ssl_cert_file=${join(tlsDir, 'server.crt')} -c ssl_key_file=${join(tlsDir, 'server.key')}`;
    // A WAL segment is closed at least every minute, so streaming backups lag the last commit by at most that.
    const options = `${loopbackOptions(PORT)} -c max_connections=200 -c archive_timeout=60s ${tls}`;
    try {
      startCluster(bin, dataDir, logFile, options);
    } catch {
      throw new StackError('postgres', 'pg_ctl could not start the cluster', logFile);
    }
  }
  await waitUntilReady({ service: 'postgres', probe: () => postgresAnswers(ADMIN_URL), logFile });
  await ensureDatabase();
  await waitUntilReady({ service: 'postgres', probe: () => postgresAnswers(LOCAL_DATABASE_URL), logFile });
}

export function stopPostgres(): boolean {
  const bin = installedBinaries();
  const { dataDir } = locate();
  if (!bin || !clusterRunning(bin, dataDir)) return false;
  stopCluster(bin, dataDir);
  return true;
}

export function postgresRunning(): boolean {
  const bin = installedBinaries();
  return bin !== undefined && clusterRunning(bin, locate().dataDir);
}
