/**
 * Keycloak, the staff identity provider of the local stack: its server distribution from Maven Central, run in
 * dev mode on loopback with the project's realm (deploy/keycloak/achievements-realm.json) imported, on a Java
 * of 21 or later (Keycloak 26 deprecates Debian's 17; these machines have Temurin 25 beside it).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LOCAL_OIDC_ISSUER } from '../../platform/config.js';
import { CACHE_DIR, DATA_DIR, REPO_ROOT } from './paths.js';
import {
  runQuietly,
  runningPid,
  spawnDetached,
  StackError,
  stopProcess,
  waitUntilReady,
} from './processes.js';

const VERSION = '26.4.7';
const DIST = `https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/${VERSION}/keycloak-quarkus-dist-${VERSION}.tar.gz`;
const KC_HOME = join(CACHE_DIR, `keycloak-${VERSION}`);
const HOME = join(DATA_DIR, 'keycloak');
const LOG_FILE = join(HOME, 'keycloak.log');
const PID_FILE = join(HOME, 'keycloak.pid');
/** Which realm file (and Keycloak) the database in HOME was made from. */
const REALM_STAMP = join(HOME, 'realm.sha256');
export const REALM_FILE = join(REPO_ROOT, 'deploy/keycloak/achievements-realm.json');

export const KEYCLOAK_URL = 'http://127.0.0.1:8180';
/** Keycloak's own administrator (master realm), for the local stack only: the tests read the events with it. */
export const KEYCLOAK_ADMIN = { username: 'admin', password: 'admin-local-only' } as const;

/** Downloads the distribution once (about 160 MB), checks it against Maven Central's SHA-1, and unpacks it. */
async function ensureInstalled() {
  if (existsSync(join(KC_HOME, 'bin', 'kc.sh'))) return;
  console.log(`keycloak: fetching Keycloak ${VERSION} from Maven Central into ${KC_HOME}`);
  const staging = `${KC_HOME}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const archive = join(staging, 'keycloak.tar.gz');
  const [response, checksum] = await Promise.all([fetch(DIST), fetch(`${DIST}.sha1`)]);
  if (!response.ok || !response.body || !checksum.ok) {
    throw new StackError('keycloak', `Maven Central answered ${response.status} for ${DIST}`);
  }
  const sha1 = createHash('sha1');
  await pipeline(
    Readable.fromWeb(response.body),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        sha1.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(archive),
  );
  const expected = (await checksum.text()).trim().split(/\s+/)[0];
  if (sha1.digest('hex') !== expected) throw new StackError('keycloak', `${DIST} does not match its SHA-1`);
  await runQuietly('keycloak', 'tar', ['-xzf', archive, '-C', staging]);
  renameSync(join(staging, `keycloak-${VERSION}`), KC_HOME);
  rmSync(staging, { recursive: true, force: true });
}

const javaVersion = (home: string) =>
  Number(/^JAVA_VERSION="(\d+)/m.exec(readFileSync(join(home, 'release'), 'utf8'))?.[1] ?? 0);

const JVMS = '/usr/lib/jvm';
const isJavaHome = (home: string) =>
  existsSync(join(home, 'bin', 'java')) && existsSync(join(home, 'release'));

/**
 * A Java home of version 21 or later: KEYCLOAK_JAVA_HOME when set, else the newest of JAVA_HOME and the JDKs under
 * /usr/lib/jvm (where Debian's and Temurin's packages install; these machines have Temurin 25 there beside
 * Debian's 17, which Keycloak 26 deprecates).
 */
export function keycloakJava(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.KEYCLOAK_JAVA_HOME;
  if (chosen) {
    const version = isJavaHome(chosen) ? javaVersion(chosen) : 0;
    if (version >= 21) return chosen;
    throw new StackError(
      'keycloak',
      `KEYCLOAK_JAVA_HOME=${chosen} is not a Java 21 or later (found ${version || 'none'})`,
    );
  }
  const installed = existsSync(JVMS) ? readdirSync(JVMS).map((name) => join(JVMS, name)) : [];
  const homes = [...new Set([env.JAVA_HOME, ...installed])].filter(
    (home): home is string => !!home && isJavaHome(home),
  );
  const found = homes.map((home) => ({ home, version: javaVersion(home) }));
  const newest = found.filter(({ version }) => version >= 21).sort((a, b) => b.version - a.version)[0];
  if (newest) return newest.home;
  const seen = found.map(({ home, version }) => `${home} (${version})`).join(', ') || 'none';
  throw new StackError(
    'keycloak',
    `needs Java 21 or later, and found only: ${seen}. Install a JDK 21+ under ${JVMS} (Temurin 25 is at ` +
      `${JVMS}/temurin-25-jdk-amd64 on the project's machines) or point KEYCLOAK_JAVA_HOME at one`,
  );
}

const realmStamp = () => createHash('sha256').update(VERSION).update(readFileSync(REALM_FILE)).digest('hex');

/** Whether the database in HOME was made from another realm file (or Keycloak) than the repository's now. */
const realmChanged = () => !existsSync(REALM_STAMP) || readFileSync(REALM_STAMP, 'utf8') !== realmStamp();

/**
 * The realm is the project's file: once it (or Keycloak's version) changes, the local database is made afresh
 * from it, since Keycloak imports a realm only when it does not exist yet (local sign-in events go with it).
 */
function freshWhenRealmChanged() {
  if (realmChanged()) rmSync(join(HOME, 'data'), { recursive: true, force: true });
  mkdirSync(HOME, { recursive: true });
  writeFileSync(REALM_STAMP, realmStamp());
}

async function realmAnswers(): Promise<boolean> {
  const response = await fetch(`${LOCAL_OIDC_ISSUER}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(2_000),
  });
  return response.ok;
}

/**
 * Starts `kc.sh start-dev` on 127.0.0.1:8180 (its management interface, when turned on, on 9180: 9000 is often
 * taken), its H2 database in DATA_DIR/keycloak, and waits until the realm's discovery document answers. A server
 * running with an older realm file is restarted with the new one.
 */
export async function startKeycloak() {
  if (runningPid(PID_FILE) !== undefined && realmChanged()) await stopProcess(PID_FILE);
  if (runningPid(PID_FILE) === undefined) {
    const java = keycloakJava();
    await ensureInstalled();
    freshWhenRealmChanged();
    // Keycloak imports from its home's data/import only; the file is the repository's, copied at each start.
    mkdirSync(join(KC_HOME, 'data', 'import'), { recursive: true });
    copyFileSync(REALM_FILE, join(KC_HOME, 'data', 'import', 'achievements-realm.json'));
    const args = ['start-dev', `-Dkc.db-url-path=${HOME}`, '--import-realm'];
    args.push('--http-host=127.0.0.1', '--http-port=8180', '--http-management-port=9180');
    // One issuer whichever name the browser used (localhost or 127.0.0.1): the API trusts exactly one.
    args.push(`--hostname=${KEYCLOAK_URL}`);
    spawnDetached({
      command: join(KC_HOME, 'bin', 'kc.sh'),
      args,
      logFile: LOG_FILE,
      pidFile: PID_FILE,
      env: {
        ...process.env,
        JAVA_HOME: java,
        KC_BOOTSTRAP_ADMIN_USERNAME: KEYCLOAK_ADMIN.username,
        KC_BOOTSTRAP_ADMIN_PASSWORD: KEYCLOAK_ADMIN.password,
      },
    });
  }
  await waitUntilReady({
    service: 'keycloak',
    probe: realmAnswers,
    logFile: LOG_FILE,
    pidFile: PID_FILE,
    timeoutMs: 180_000,
  });
}

export function stopKeycloak() {
  return stopProcess(PID_FILE);
}

export function keycloakRunning(): boolean {
  return runningPid(PID_FILE) !== undefined;
}
