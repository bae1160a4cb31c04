import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { testKafka, uniqueName } from './support/stack.js';
import { createServedTopics } from '../platform/topic-creation.js';

describe('Kafka broker (KRaft, from Maven Central jars)', () => {
  const kafka = testKafka();
  const admin = kafka.admin();

  afterAll(() => admin.disconnect());

  it('carries records through a consumer group, in order per key, and stores its committed offsets', async () => {
    const topic = uniqueName('smoke');
    const groupId = uniqueName('group');
    await admin.connect();
    await createServedTopics(admin, [{ topic, numPartitions: 3 }]);

    const keys = ['c-1', 'c-2', 'c-3', 'c-4'];
    const sent = keys.flatMap((key) => [1, 2, 3, 4, 5].map((n) => ({ key, value: `${key}:${n}` })));
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    const received: { key: string; value: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const allReceived = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: message.key!.toString(), value: message.value!.toString() });
          if (received.length === sent.length) resolve();
          return Promise.resolve();
        },
      });
    });
    await allReceived;
    await consumer.disconnect();

    for (const key of keys) {
      expect(received.filter((r) => r.key === key).map((r) => r.value)).toEqual(
        sent.filter((s) => s.key === key).map((s) => s.value),
      );
    }
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const committedSum = committed!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    const endSum = ends.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committedSum).toBe(sent.length);
    expect(endSum).toBe(sent.length);
  });
});
