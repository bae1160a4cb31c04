import { describe, expect, it } from 'vitest';
import type { HealthReport } from '../platform/health.js';
import { apiDependencies } from '../test/support/api.js';
import { createApp } from './app.js';

const up = { status: 'up', latencyMs: 1 } as const;
const report = (postgres: HealthReport['dependencies']['postgres']): HealthReport => ({
  status: postgres.status,
  dependencies: { kafka: up, postgres, temporal: up },
});

describe('GET /health', () => {
  it('answers 200 with each dependency when all are up', async () => {
    const app = createApp(apiDependencies({ checkHealth: () => Promise.resolve(report(up)) }));
    const response = await app.request('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(report(up));
  });

  it('answers 503 naming the dependency that is down, but not its error, which may describe the network', async () => {
    const down = { status: 'down', latencyMs: 3, error: 'connect ECONNREFUSED 10.0.4.7:5432' } as const;
    const app = createApp(apiDependencies({ checkHealth: () => Promise.resolve(report(down)) }));
    const response = await app.request('/health');
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      status: 'down',
      dependencies: { kafka: up, postgres: { status: 'down', latencyMs: 3 }, temporal: up },
    });
    expect(body).not.toContain('10.0.4.7');
  });

  it('probes the dependencies once for many callers within a second', async () => {
    let checks = 0;
    const app = createApp(
      apiDependencies({ checkHealth: () => Promise.resolve(void checks++).then(() => report(up)) }),
    );
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => (await app.request('/health')).status),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(checks).toBe(1);
  });
});

describe('unknown routes', () => {
  it('answer a problem+json 404 that points at the API document', async () => {
    const app = createApp(apiDependencies({ checkHealth: () => Promise.resolve(report(up)) }));
    const response = await app.request('/v1/nowhere');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      status: 404,
      detail: expect.stringContaining('/openapi.json'),
    });
  });
});
