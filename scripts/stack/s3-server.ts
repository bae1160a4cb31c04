/**
 * An S3-compatible server with object lock for the backup store's tests: versitygw (Apache-2.0), built from the
 * Go module proxy into the stack cache as the other servers are, serving a folder through its POSIX backend.
 * Not part of `npm start`: a local engine backs up into a directory unless BACKUP_STORE names a bucket.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './paths.js';
import { goBuild } from './go-build.js';
import { spawnDetached, stopProcess, waitUntilReady } from './processes.js';

const VERSION = 'v1.8.0';
const BIN = join(CACHE_DIR, `versitygw-${VERSION}`, 'bin');
const VERSITYGW = join(BIN, 'versitygw');

/** Builds versitygw once (about two minutes on two cores the first time), then finds it cached. */
async function ensureVersitygw() {
  if (existsSync(VERSITYGW)) return;
  console.log(`s3: building versitygw ${VERSION} from the Go module proxy into ${BIN}`);
  const started = Date.now();
  await goBuild('s3', ['install', `github.com/versity/versitygw/cmd/versitygw@${VERSION}`], { gobin: BIN });
  console.log(`s3: built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Credentials of a server started here: local only. */
export const LOCAL_S3_CREDENTIALS = {
  accessKeyId: 'achievements',
  secretAccessKey: 'achievements-local-only',
};

/** Starts versitygw on 127.0.0.1:`port` over `home` (buckets, versions, its log); answers its endpoint and a stop. */
export async function startS3Server(home: string, port: number) {
  await ensureVersitygw();
  const root = join(home, 'buckets');
  const versions = join(home, 'versions');
  mkdirSync(root, { recursive: true });
  mkdirSync(versions, { recursive: true });
  const logFile = join(home, 'versitygw.log');
  const pidFile = join(home, 'versitygw.pid');
  spawnDetached({
    command: VERSITYGW,
    args: [
      ...['--access', LOCAL_S3_CREDENTIALS.accessKeyId, '--secret', LOCAL_S3_CREDENTIALS.secretAccessKey],
      ...['--port', `127.0.0.1:${port}`, 'posix', '--versioning-dir', versions, root],
    ],
    logFile,
    pidFile,
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilReady({
    service: 's3',
    // Any HTTP answer (an unsigned request is refused with 403) means it serves.
    probe: () => fetch(endpoint, { signal: AbortSignal.timeout(1_000) }).then(() => true),
    logFile,
    pidFile,
  });
  return { endpoint, stop: () => stopProcess(pidFile) };
}
