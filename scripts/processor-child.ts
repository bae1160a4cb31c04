/**
 * A stream processor in a process of its own, for the crash test and the benchmark: it can be killed with
 * SIGKILL like a deployment's instance. Its topics, schema and group come from the environment they set.
 */
import { startProcessor } from '../actors/processor.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { startDefaultRuleFeed } from '../platform/rule-feed.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const db = createPool(env('CHILD_DATABASE_URL'), env('CHILD_SCHEMA'));
const processor = await startProcessor({
  kafka: createKafka('crash-test-child', env('CHILD_BROKERS').split(',')),
  db,
  rules: await startDefaultRuleFeed(db),
  zone: 'Europe/Kyiv',
  actorIdleMs: 60_000,
  groupId: env('CHILD_GROUP'),
  topics: {
    transactions: env('CHILD_TX_TOPIC'),
    clientEvents: env('CHILD_EVENTS_TOPIC'),
    ...(process.env.CHILD_REDRIVE_TOPIC ? { redrive: process.env.CHILD_REDRIVE_TOPIC } : {}),
  },
  // The benchmark keeps its unlocks off the shared local topics; the crash test reads the contract's.
  ...(process.env.CHILD_UNLOCKED_TOPIC
    ? { outputs: { unlocked: env('CHILD_UNLOCKED_TOPIC'), notifications: env('CHILD_PUSH_TOPIC') } }
    : {}),
  // The broker's minimum: the restarted instance takes over as soon as the killed one is declared gone.
  sessionTimeoutMs: 6_000,
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => void processor.stop().then(() => process.exit(0)));
