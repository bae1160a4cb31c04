/**
 * `npm run rebuild -- --yes`: prepares a rebuild of the engine's progress from the input topics' history
 * (README, "Rebuilding from the log"). Stop every processor first; start them again afterwards and they read
 * the whole history. Without `--yes` it only says what it would do.
 */
import { parseArgs } from 'node:util';
import { config } from '../platform/config.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { RebuildRefused, resetForRebuild } from '../platform/rebuild.js';
import { configuredGroups, configuredTopics } from '../platform/topics.js';

const { values } = parseArgs({ options: { yes: { type: 'boolean', default: false } } });
const { transactions, clientEvents } = configuredTopics();
const topics = { transactions, clientEvents };
const groupId = configuredGroups().processors;
if (!values.yes) {
  process.stdout.write(
    `would forget every client's progress (keeping their unlocks) and group ${groupId}'s positions, ` +
      `and move its offsets on ${topics.transactions} and ${topics.clientEvents} to the start; ` +
      'run again with --yes, every processor stopped\n',
  );
  process.exit(2);
}
const db = createPool(config().DATABASE_URL, config().DATABASE_SCHEMA);
try {
  const reset = await resetForRebuild({
    db,
    kafka: createKafka('achievements-rebuild'),
    groupId,
    topics,
  });
  process.stdout.write(
    `reset: ${reset.clients} clients start again from their ${reset.unlocksKept} unlocks; ` +
      'start the processors (npm run start:processor) to read the history again\n',
  );
} catch (error) {
  if (!(error instanceof RebuildRefused)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
} finally {
  await db.end();
}
