import { Partitioners, type Kafka } from 'kafkajs';
import { HistoryReader } from '../platform/history-reader.js';
import { historyEnds, offsetsSince } from '../platform/history-span.js';
import { decodeRecord, type RecordKind } from '../rules/decode.js';
import type { InputEvent } from '../rules/events.js';

const keyPartitioner = Partitioners.DefaultPartitioner();

/** The partition a client's records land on: the producers' own key partitioning (murmur2, as Java's). */
async function partitionOf(kafka: Kafka, topic: string, clientId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    return keyPartitioner({
      topic,
      partitionMetadata: metadata!.partitions,
      message: { key: clientId, value: null },
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * A client's input records as Kafka holds them (the history of record), in bank order: the client's partition
 * of each input topic, from the first record written at or after `sinceMs` (as far back as retention left, all
 * of it when undefined) up to the partition's end at the time of the call. For disputes, not for hot paths.
 */
export function kafkaHistory(kafka: Kafka, topics: Record<RecordKind, string>) {
  const kinds = Object.keys(topics) as RecordKind[];
  const names = kinds.map((kind) => topics[kind]);
  return async (clientId: string, sinceMs?: number): Promise<InputEvent[]> => {
    const partition = await partitionOf(kafka, names[0]!, clientId);
    const [from, until] = await Promise.all([offsetsSince(kafka, names, sinceMs), historyEnds(kafka, names)]);
    const reader = await HistoryReader.open(kafka, names, partition, from[partition]!);
    const found: InputEvent[] = [];
    try {
      await reader.readUntil(until[partition]!, (records) => {
        for (const { stream, record } of records) {
          if (record.key?.toString() !== clientId) continue;
          const decoded = decodeRecord(kinds[stream]!, record.key, record.value, Number(record.timestamp));
          if (decoded.ok) found.push(decoded.event);
        }
      });
    } finally {
      await reader.close();
    }
    return found;
  };
}
