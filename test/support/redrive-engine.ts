import type { Kafka } from 'kafkajs';
import { postgresDeadLetters } from '../../api/dead-letter-store.js';
import { lazyProducer } from '../../platform/kafka.js';
import { createTopics } from '../../platform/topic-creation.js';
import { ownInputTopics, startTestProcessor } from './engine.js';
import { migratedSchema, uniqueName } from './stack.js';

/**
 * A processor over input topics and a redrive topic of the test's own, with the dead-letter store operations
 * browse and redrive through. Each part is stopped by `stops`, which the test runs at its end.
 */
export async function redriveEngine(kafka: Kafka, partitions: number, stops: (() => Promise<unknown>)[]) {
  const db = await migratedSchema();
  stops.push(() => db.drop());
  const inputs = await ownInputTopics(kafka, partitions);
  const redrive = uniqueName('redrive');
  await createTopics(kafka, [{ topic: redrive, numPartitions: partitions }]);
  const processor = await startTestProcessor(db.pool, { ...inputs, redrive });
  stops.push(() => processor.stop());
  const producer = lazyProducer(kafka);
  stops.push(() => producer.disconnect());
  const store = postgresDeadLetters(db.pool, producer.get, {
    inputs: [inputs.transactions, inputs.clientEvents],
    redrive,
  });
  return { db, inputs, redrive, producer, store };
}
