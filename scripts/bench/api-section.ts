import type pg from 'pg';
import { measureApi, type ApiResult } from './api.js';
import type { Section } from './report.js';

const value = (load: ApiResult) =>
  `${Math.round(load.requestsPerSecond).toLocaleString('en')} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, ${load.non2xx} non-2xx`;

/**
 * (i, i′, i″): `GET /v1/me/achievements` for 10,000 of the clients whose progress (b) stored in `schema`: the API
 * on its own core, sharing both, and on its own core with its cache holding one client.
 */
export async function measureApiSection(options: {
  db: pg.Pool;
  databaseUrl: string;
  schema: string;
  seconds: number;
  step: (text: string) => void;
}): Promise<Section> {
  const { db, databaseUrl, schema, seconds, step } = options;
  step('(i) GET /v1/me/achievements under load for 10k clients');
  const clients = (
    await db.query<{ client_id: string }>('SELECT client_id FROM client_progress LIMIT 10000')
  ).rows.map((r) => r.client_id);
  const own = await measureApi(databaseUrl, schema, clients, seconds, true);
  const shared = await measureApi(databaseUrl, schema, clients, seconds, false);
  const uncached = await measureApi(databaseUrl, schema, clients, seconds, true, { API_CACHED_CLIENTS: '1' });
  return {
    title: 'HTTP API',
    rows: [
      {
        measure: `(i) GET /v1/me/achievements, ${clients.length.toLocaleString('en')} clients, 50 connections, the API on core 0 and autocannon on core 1`,
        value: value(own),
        target: '≥ 5,000 req/s, p99 ≤ 20 ms',
        verdict: own.requestsPerSecond >= 5_000 && own.p99 <= 20 && own.non2xx === 0 ? 'met' : 'missed',
      },
      {
        measure: '(i′) the same, the API and autocannon sharing both cores',
        value: value(shared),
        target: '—',
        verdict: '—',
      },
      {
        measure: '(i″) the same as (i) with the cache holding one client: every read from PostgreSQL',
        value: value(uncached),
        target: '—',
        verdict: '—',
      },
    ],
    notes: [
      'The API role runs in its own process (main.ts api); in (i) `taskset` keeps it on core 0 and autocannon on core 1, in (i′) both float over the 2 cores; Kafka, PostgreSQL and Temporal share both cores in either; each request is signed as a random one of the clients whose progress the engine benchmark stored (one token per client, as an app holds one).',
      "A replica verifies a token once and remembers it until it expires, and reads a client from PostgreSQL once, then answers from its cache until PostgreSQL announces that client changed (api/client-cache.ts); the first read of each of the 10,000 clients, and its token's first verification, fall inside the measured seconds. (i″) keeps one client in the cache, so nearly every request reads PostgreSQL.",
    ],
  };
}
