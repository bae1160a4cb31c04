import type { Kafka } from 'kafkajs';

/** (a) How fast plain kafkajs drains the workload's topics: consume in batches and discard. */
export async function measureDrain(
  kafka: Kafka,
  topics: string[],
  total: number,
  groupId: string,
): Promise<number> {
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let consumed = 0;
  let started = 0;
  const elapsed = await new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        started ||= performance.now();
        consumed += batch.messages.length;
        if (consumed >= total) resolve(performance.now() - started);
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return total / (elapsed / 1000);
}
