import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../platform/config.js';
import { temporalSecurity } from '../platform/connection-security.js';
import { installTemporalRuntime } from '../workflows/runtime.js';
import { issueClientCertificate, issueServerCertificate } from './support/certificates.js';
import { startMutualTlsProxy } from './support/tls-proxy.js';
import { createGreetingActivities } from './fixtures/greeting-activities.js';
import { greetingWorkflow } from './fixtures/greeting.workflow.js';
import { uniqueName } from './support/stack.js';

describe('Temporal dev server', () => {
  it('runs a workflow and its activity on a real worker and keeps its history', async () => {
    installTemporalRuntime();
    const address = inject('temporalAddress');
    const taskQueue = uniqueName('smoke');
    const workerConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fixtures/greeting.workflow.ts', import.meta.url)),
      activities: createGreetingActivities(),
    });
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const workflowId = uniqueName('greeting');

    const result = await worker.runUntil(
      client.workflow.execute(greetingWorkflow, { taskQueue, workflowId, args: ['bank'] }),
    );

    expect(result).toBe(`Hello, bank, from pid ${process.pid}`);
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const eventTypes = history.events?.map((event) => event.eventType) ?? [];
    expect(eventTypes.length).toBeGreaterThanOrEqual(5);
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
    await connection.close();
    await workerConnection.close();
  });

  it('is reached over mTLS, configured by the engine’s variables alone, and refuses a client without its certificate', async () => {
    installTemporalRuntime();
    const dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
    const issued = issueServerCertificate(dir);
    const client = issueClientCertificate(dir, issued, 'achievements-worker');
    const [host, port] = inject('temporalAddress').split(':');
    const proxy = await startMutualTlsProxy(issued, { host: host!, port: Number(port) });
    try {
      const settings = parseConfig({
        TEMPORAL_ADDRESS: proxy.address,
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_CA_FILE: issued.caFile,
        TEMPORAL_TLS_CERT_FILE: client.certFile,
        TEMPORAL_TLS_KEY_FILE: client.keyFile,
      });
      const target = { address: settings.TEMPORAL_ADDRESS, ...temporalSecurity(settings) };
      const taskQueue = uniqueName('mtls');
      const workerConnection = await NativeConnection.connect(target);
      const worker = await Worker.create({
        connection: workerConnection,
        taskQueue,
        workflowsPath: fileURLToPath(new URL('./fixtures/greeting.workflow.ts', import.meta.url)),
        activities: createGreetingActivities(),
      });
      const connection = await Connection.connect(target);
      const result = await worker.runUntil(
        new Client({ connection }).workflow.execute(greetingWorkflow, {
          taskQueue,
          workflowId: uniqueName('greeting'),
          args: ['mTLS'],
        }),
      );
      expect(result).toBe(`Hello, mTLS, from pid ${process.pid}`);
      await connection.close();
      await workerConnection.close();

      const withoutCertificate = parseConfig({
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_CA_FILE: issued.caFile,
      });
      await expect(
        Connection.connect({
          address: proxy.address,
          ...temporalSecurity(withoutCertificate),
          connectTimeout: 3_000,
        }),
      ).rejects.toThrow();
      await expect(Connection.connect({ address: proxy.address, connectTimeout: 3_000 })).rejects.toThrow();
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
