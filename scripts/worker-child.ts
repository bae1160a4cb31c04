/**
 * A reward worker in a process of its own, for the test that kills a worker with SIGKILL mid-workflow.
 * Its Temporal address, task queue, schema and partner come from the environment the test sets.
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Partitioners } from 'kafkajs';
import { loadCatalog } from '../platform/catalog-files.js';
import { DEFAULT_PARTNER_LIMITS } from '../platform/config.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { createActivities } from '../workflows/activities.js';
import { createPartnerActivities } from '../workflows/partner-activities.js';
import { installTemporalRuntime } from '../workflows/runtime.js';
import { createPartnerWorkers } from '../workflows/worker.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

installTemporalRuntime();
const catalog = loadCatalog();
const producer = createKafka('worker-child', env('CHILD_BROKERS').split(',')).producer({
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();
const partner = {
  id: 'coffee-house',
  url: env('CHILD_PARTNER_URL'),
  secret: env('CHILD_PARTNER_SECRET'),
  ...DEFAULT_PARTNER_LIMITS,
};
const connection = await NativeConnection.connect({ address: env('CHILD_TEMPORAL') });
const taskQueue = env('CHILD_TASK_QUEUE');
const rewards = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  activities: createActivities({
    db: createPool(env('CHILD_DATABASE_URL'), env('CHILD_SCHEMA')),
    producer,
    catalog: () => catalog,
    pointsExpiryMs: 365 * 86_400_000,
    tiers: { silver: 100, gold: 300 },
  }),
});
const partnerActivities = createPartnerActivities({
  partners: new Map([[partner.id, partner]]),
  pseudonymKey: 'test-pseudonym-key-of-at-least-32-chars',
  publicBaseUrl: env('CHILD_PUBLIC_BASE_URL'),
});
const partnerWorkers = await createPartnerWorkers(connection, 'default', taskQueue, partnerActivities, [
  partner,
]);
process.stdout.write('ready\n');
await Promise.all([rewards, ...partnerWorkers].map((worker) => worker.run()));
