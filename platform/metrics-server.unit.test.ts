import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

describe('the metrics server', () => {
  let server: MetricsServer;
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  beforeAll(async () => {
    server = await startMetricsServer(0);
  });

  afterAll(() => server.stop());

  it('serves the process’s registry in the Prometheus text format, the engine’s own metrics among them', async () => {
    const response = await fetch(url('/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const text = await response.text();
    for (const name of [
      'http_request_duration_seconds',
      'achievements_events_processed_total',
      'achievements_unlocks_total',
      'achievements_dlq_records_total',
      'achievements_cached_actors',
      'achievements_consumer_lag',
      'achievements_reward_workflows_started_total',
      'nodejs_version_info',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('answers /health/live while the process runs, 404 elsewhere and 405 to other methods', async () => {
    expect((await fetch(url('/health/live'))).status).toBe(200);
    expect((await fetch(url('/v1/catalog'))).status).toBe(404);
    const posted = await fetch(url('/metrics'), { method: 'POST' });
    expect([posted.status, posted.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('serves the registry it is given, exactly', async () => {
    const own = new Registry();
    new Counter({ name: 'test_things_total', help: 'Things', registers: [own] }).inc(3);
    const other = await startMetricsServer(0, own);
    try {
      expect(await (await fetch(`http://127.0.0.1:${other.port}/metrics`)).text()).toBe(await own.metrics());
    } finally {
      await other.stop();
    }
    await expect(fetch(`http://127.0.0.1:${other.port}/metrics`)).rejects.toThrow();
  });
});
