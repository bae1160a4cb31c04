/**
 * A reward worker in a process of its own, for the test that kills a worker with SIGKILL mid-workflow.
 * Its Temporal address, task queue, schema and partner come from the environment the test sets.
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Partitioners } from 'kafkajs';
import { loadCatalog } from '../actors/rules/catalog.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { createActivities } from '../workflows/activities.js';
import { installTemporalRuntime } from '../workflows/runtime.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

installTemporalRuntime();
const producer = createKafka('worker-child', env('CHILD_BROKERS').split(',')).producer({
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();
const partnerId = 'coffee-house';
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: env('CHILD_TEMPORAL') }),
  taskQueue: env('CHILD_TASK_QUEUE'),
  workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  activities: createActivities({
    db: createPool(env('CHILD_DATABASE_URL'), env('CHILD_SCHEMA')),
    producer,
    catalog: loadCatalog(),
    partners: new Map([
      [partnerId, { id: partnerId, url: env('CHILD_PARTNER_URL'), secret: env('CHILD_PARTNER_SECRET') }],
    ]),
    pseudonymKey: 'test-pseudonym-key-of-at-least-32-chars',
    publicBaseUrl: env('CHILD_PUBLIC_BASE_URL'),
    pointsExpiryMs: 365 * 86_400_000,
    tiers: { silver: 100, gold: 300 },
  }),
});
process.stdout.write('ready\n');
await worker.run();
