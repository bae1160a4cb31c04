import { Partitioners, type Kafka } from 'kafkajs';
import { decodeRecord, type RecordKind } from '../rules/decode.js';
import type { InputEvent } from '../rules/events.js';

const keyPartitioner = Partitioners.DefaultPartitioner();

/** The partition a client's records land on: the producers' own key partitioning (murmur2, as Java's). */
async function partitionOf(
  kafka: Kafka,
  topic: string,
  clientId: string,
): Promise<{ partition: number; end: bigint }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const partition = keyPartitioner({
      topic,
      partitionMetadata: metadata!.partitions,
      message: { key: clientId, value: null },
    });
    const end = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition)!.high;
    return { partition, end: BigInt(end) };
  } finally {
    await admin.disconnect();
  }
}

/**
 * A client's input records as Kafka holds them (the history of record), read from the client's partition of each
 * input topic up to its end at the time of the call. For disputes, not for hot paths: it reads whole partitions.
 */
export function kafkaHistory(kafka: Kafka, topics: Record<RecordKind, string>) {
  return async (clientId: string): Promise<InputEvent[]> => {
    const kinds = Object.entries(topics) as [RecordKind, string][];
    const targets = await Promise.all(
      kinds.map(async ([kind, topic]) => ({ kind, topic, ...(await partitionOf(kafka, topic, clientId)) })),
    );
    const pending = targets.filter((t) => t.end > 0n);
    const found = new Map<string, InputEvent[]>(targets.map((t) => [t.topic, []]));
    if (pending.length === 0) return [];
    const consumer = kafka.consumer({
      groupId: `explain-${clientId}-${Date.now()}`,
      maxBytesPerPartition: 4 << 20,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: pending.map((t) => t.topic), fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`reading ${clientId}'s history took longer than 30 s`)),
          30_000,
        );
        const done = new Set<string>();
        void consumer.run({
          eachBatch: ({ batch }) => {
            const target = pending.find((t) => t.topic === batch.topic && t.partition === batch.partition);
            if (!target) return Promise.resolve();
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= target.end || message.key?.toString() !== clientId) continue;
              const decoded = decodeRecord(
                target.kind,
                message.key,
                message.value,
                Number(message.timestamp),
              );
              if (decoded.ok) found.get(target.topic)!.push(decoded.event);
            }
            if (BigInt(batch.lastOffset()) + 1n >= target.end) done.add(target.topic);
            if (done.size === pending.length) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return targets.flatMap((t) => found.get(t.topic)!);
  };
}
