import Long from 'long';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRole } from '../scripts/children.js';
import { eventually } from './support/engine.js';
import { temporalClient } from './support/replays.js';
import { ownEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('main.ts worker whose Temporal worker stopped for good', () => {
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let temporal: Awaited<ReturnType<typeof temporalClient>>;

  beforeAll(async () => {
    db = await migratedSchema();
    temporal = await temporalClient();
  });

  afterAll(async () => {
    await temporal?.close();
    await db?.drop();
  });

  it('ends non-zero after an orderly shutdown, saying why, when its namespace is gone', async () => {
    const engine = await ownEngine(testKafka(), db.schema);
    // A namespace of the test's own, deleted under the running worker: its polls are refused for good.
    const namespace = uniqueName('ns');
    const { workflowService, operatorService } = temporal.connection;
    await workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
    });
    await eventually(
      () =>
        workflowService.describeNamespace({ namespace }).then(
          () => true,
          () => false,
        ),
      (found) => found,
      60_000,
      500,
    );
    const lines: { msg?: string; part?: string }[] = [];
    const child = await startRole(
      'worker',
      { ...engine.env, TEMPORAL_NAMESPACE: namespace, LOG_LEVEL: 'info' },
      { onLine: (line) => line.startsWith('{') && lines.push(JSON.parse(line) as (typeof lines)[number]) },
    );
    const exited = new Promise<number | null>((resolve) => child.process.once('exit', resolve));
    await operatorService.deleteNamespace({ namespace });
    expect(await exited).toBe(1);
    const said = lines.map(({ msg, part }) => `${msg}${part ? ` (${part})` : ''}`);
    expect(said).toContain('failed for good; stopping, to be restarted (worker)');
    // Every part is asked to stop, in order. The worker's own stop may outlast its grace period: its pollers
    // wait out their long polls when the server no longer knows the namespace (seen on a busy machine).
    const workerStopped = ['stopped (worker)', 'failed to stop cleanly (worker)'];
    expect(said.filter((line) => workerStopped.includes(line))).toHaveLength(1);
    expect(said).toContain('stopped (metrics server)');
  }, 300_000);
});
