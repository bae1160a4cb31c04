import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig, Kafka } from 'kafkajs';

const NOT_SERVED_YET = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
]);

/**
 * Creates `topics` (those that exist already are left as they are) and returns once every partition has a
 * leader that lists its offsets. kafkajs's own `waitForLeaders` gives up on the first "This server does not host this
 * topic-partition", which a busy KRaft broker answers for a moment after creating a topic; here that answer
 * means "not yet", until `timeoutMs`.
 */
export async function createServedTopics(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000) {
  await admin.createTopics({ waitForLeaders: false, topics });
  const names = topics.map(({ topic }) => topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: names });
      const led = metadata.topics.every(
        ({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0),
      );
      // A leader in the metadata may not serve its partition yet: listing the offsets is what readers do first.
      if (led) {
        for (const name of names) await admin.fetchTopicOffsets(name);
        return;
      }
    } catch (error) {
      if (!NOT_SERVED_YET.has((error as { type?: string }).type ?? '')) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} still have no leader after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** `createServedTopics` through an admin client of its own, connected for just that. */
export async function createTopics(kafka: Kafka, topics: ITopicConfig[], timeoutMs?: number) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createServedTopics(admin, topics, timeoutMs);
  } finally {
    await admin.disconnect();
  }
}
