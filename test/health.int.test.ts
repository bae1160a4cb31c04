import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../api/app.js';
import { apiDependencies } from './support/api.js';
import { checkHealth, dependencyProbes } from '../platform/health.js';
import { createPool } from '../platform/postgres.js';
import { testKafka } from './support/stack.js';

describe('GET /health against the real dependencies', () => {
  const kafka = testKafka();
  const temporal = Connection.lazy({ address: inject('temporalAddress') });
  const pool = createPool(inject('databaseUrl'));
  // Nothing listens on port 1: this pool stands for a PostgreSQL that has been stopped.
  const stoppedPool = createPool('postgres://achievements@127.0.0.1:1/achievements');

  afterAll(async () => {
    await Promise.all([pool.end(), stoppedPool.end(), temporal.close()]);
  });

  it('is 200 when Kafka, PostgreSQL and Temporal all answer', async () => {
    const probes = dependencyProbes({ kafka, pool, temporal });
    const response = await createApp(apiDependencies({ checkHealth: () => checkHealth(probes) })).request(
      '/health',
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'up',
      dependencies: { kafka: { status: 'up' }, postgres: { status: 'up' }, temporal: { status: 'up' } },
    });
  });

  it('is 503 naming PostgreSQL when it does not answer', async () => {
    const probes = dependencyProbes({ kafka, pool: stoppedPool, temporal });
    const response = await createApp(apiDependencies({ checkHealth: () => checkHealth(probes) })).request(
      '/health',
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'down',
      dependencies: { kafka: { status: 'up' }, postgres: { status: 'down' }, temporal: { status: 'up' } },
    });
  });
});
