import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { DEV_JWT_SECRET } from '../../platform/config.js';
import { REPO_ROOT } from '../stack/paths.js';

export interface ApiResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

/** Not the defaults (8080 and the metrics server's 9464), which a running `npm start` holds. */
const PORT = 18_080;
const METRICS_PORT = 18_464;

async function tokensFor(clientIds: string[]): Promise<string[]> {
  const key = new TextEncoder().encode(DEV_JWT_SECRET);
  const iat = Math.floor(Date.now() / 1000);
  return Promise.all(
    clientIds.map((sub) =>
      new SignJWT({ role: 'client' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 280)
        .sign(key),
    ),
  );
}

/** Every thread of this process on `cpuList` (a `taskset` list such as "1" or "0-1"). */
const pinSelf = (cpuList: string) =>
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)]);

/**
 * (i) `GET /v1/me/achievements` under load: the API role in its own process (as deployed) reading the engine
 * benchmark's stored progress, and autocannon here sending each request as one of `clientIds`, chosen at random.
 * `env` adds to the API's environment. `separated` keeps the two apart, the API on the first core and autocannon
 * on the second (`taskset`), so the load generator's CPU does not come out of the API's; PostgreSQL and the other
 * servers still share both.
 */
export async function measureApi(
  databaseUrl: string,
  schema: string,
  clientIds: string[],
  seconds: number,
  separated: boolean,
  env: Record<string, string> = {},
): Promise<ApiResult> {
  if (separated && cpus().length < 2) throw new Error('keeping the API apart needs two cores');
  const node = [process.execPath, '--import', 'tsx', 'main.ts', 'api'];
  const [command, ...args] = separated ? ['taskset', '-c', '0', ...node] : node;
  const api = spawn(command!, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(PORT),
      METRICS_PORT: String(METRICS_PORT),
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  try {
    if (separated) pinSelf('1');
    for (let ready = false; !ready;) {
      ready = await fetch(`http://127.0.0.1:${PORT}/v1/catalog`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const headers = (await tokensFor(clientIds)).map((token) => ({
      Authorization: `Bearer ${token}`,
      'Accept-Language': 'uk',
    }));
    const result = await autocannon({
      url: `http://127.0.0.1:${PORT}`,
      connections: 50,
      duration: seconds,
      requests: [
        {
          method: 'GET',
          path: '/v1/me/achievements',
          setupRequest: (request) => ({
            ...request,
            headers: headers[Math.floor(Math.random() * headers.length)]!,
          }),
        },
      ],
    });
    return {
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
    };
  } finally {
    if (separated) pinSelf(`0-${cpus().length - 1}`);
    process.kill(-api.pid!, 'SIGTERM');
  }
}
