import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { installTemporalRuntime } from '../workflows/runtime.js';
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
});
