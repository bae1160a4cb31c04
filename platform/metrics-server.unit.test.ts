import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from './metrics.js';
import { watchEventLoop } from './event-loop-watch.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { Readiness, type ReadinessReport } from './readiness.js';

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
    const other = await startMetricsServer(0, { registry: own });
    try {
      expect(await (await fetch(`http://127.0.0.1:${other.port}/metrics`)).text()).toBe(await own.metrics());
    } finally {
      await other.stop();
    }
    await expect(fetch(`http://127.0.0.1:${other.port}/metrics`)).rejects.toThrow();
  });

  it('answers /health/live 503 once the event loop was held up past its bound, naming how long', async () => {
    const loop = watchEventLoop();
    const watched = await startMetricsServer(0, {
      registry: new Registry(),
      // A bound well above what a busy CI machine delays timers by, and a stall well above the bound.
      health: { loop, maxLoopDelayMs: 1_000 },
    });
    const live = () => fetch(`http://127.0.0.1:${watched.port}/health/live`);
    try {
      expect((await live()).status).toBe(200);
      // The watch measures the time between turns of its timer: its first turn only starts the clock.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const until = Date.now() + 1_500;
      while (Date.now() < until); // a synchronous stall, as a runaway computation would hold the loop
      // The delay is measured by a timer, which runs once the loop is free again.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const stalled = await live();
      expect(stalled.status).toBe(503);
      expect(((await stalled.json()) as { eventLoopDelayMs: number }).eventLoopDelayMs).toBeGreaterThan(
        1_000,
      );
    } finally {
      await watched.stop();
      loop.stop();
    }
  });

  it('answers /health/ready with every check of the roles running, 503 naming what is missing', async () => {
    const readiness = new Readiness();
    const checked = await startMetricsServer(0, { registry: new Registry(), health: { readiness } });
    const ready = async () => {
      const response = await fetch(`http://127.0.0.1:${checked.port}/health/ready`);
      return { status: response.status, body: (await response.json()) as ReadinessReport };
    };
    try {
      expect(await ready()).toMatchObject({
        status: 503,
        body: { checks: { roles: { error: 'starting' } } },
      });
      let assigned = 0;
      readiness.add({
        postgres: () => Promise.resolve(),
        partitions: () =>
          assigned > 0
            ? Promise.resolve()
            : Promise.reject(new Error('no partition of the input topics is assigned to this processor')),
      });
      expect(await ready()).toMatchObject({
        status: 503,
        body: {
          status: 'not-ready',
          checks: {
            postgres: { status: 'up' },
            partitions: { status: 'down', error: expect.stringMatching(/no partition/) },
          },
        },
      });
      assigned = 3;
      expect(await ready()).toMatchObject({ status: 200, body: { status: 'ready' } });
    } finally {
      await checked.stop();
    }
  });
});
