import type { Admin, Kafka } from 'kafkajs';
import { HistoryReader } from './history-reader.js';

/** A replay from a time whose history Kafka may no longer hold in full: refused rather than run on a part. */
export class BeyondRetention extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly earliestFrom: string | undefined,
  ) {
    super(
      `partition ${partition} of ${topic} no longer holds all its history from that time (its oldest records were deleted)` +
        (earliestFrom
          ? `; the earliest time to replay from now is ${earliestFrom}`
          : '; choose a later time'),
    );
    this.name = 'BeyondRetention';
  }
}

/**
 * A time as Kafka's offset lookup takes it: a time before 1970 means the whole history (negative timestamps
 * are Kafka's codes for "earliest" and "latest", or refused).
 */
const kafkaTime = (timeMs: number) => Math.max(0, timeMs);

/** Each input partition's offsets, one per topic in the order the topics were given. */
export type PartitionOffsets = bigint[][];

async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** When the oldest record a partition still holds was written: a replay may start from then on. */
async function writtenAt(kafka: Kafka, topic: string, partition: number, offset: bigint): Promise<number> {
  const reader = await HistoryReader.open(kafka, [topic], partition, [offset]);
  let timestamp = 0;
  try {
    await reader.readUntil([offset + 1n], (records) => {
      timestamp = Number(records[0]!.record.timestamp);
    });
  } finally {
    await reader.close();
  }
  return timestamp;
}

/**
 * Where each partition's history from `fromMs` begins, on every input topic (the first offset whose Kafka
 * timestamp is at or after it). Refused with `BeyondRetention` when a partition may have lost records that
 * recent: it has deleted records (retention, or an operator's delete) and its oldest one held is not older
 * than `fromMs`. The topics must be co-partitioned (equal partition counts).
 */
export async function historyFrom(
  kafka: Kafka,
  topics: readonly string[],
  fromMs: number,
): Promise<PartitionOffsets> {
  const perTopic = await withAdmin(kafka, (admin) =>
    Promise.all(
      topics.map(async (topic) => {
        const [at, ends] = await Promise.all([
          admin.fetchTopicOffsetsByTimestamp(topic, kafkaTime(fromMs)),
          admin.fetchTopicOffsets(topic),
        ]);
        return ends
          .sort((a, b) => a.partition - b.partition)
          .map((end) => ({
            partition: end.partition,
            low: BigInt(end.low),
            high: BigInt(end.high),
            start: BigInt(at.find((p) => p.partition === end.partition)!.offset),
          }));
      }),
    ),
  );
  for (const [i, partitions] of perTopic.entries()) {
    const cut = partitions.find(({ low, start }) => low > 0n && start <= low);
    if (!cut) continue;
    const earliest =
      cut.low < cut.high ? await writtenAt(kafka, topics[i]!, cut.partition, cut.low) : undefined;
    throw new BeyondRetention(
      topics[i]!,
      cut.partition,
      earliest === undefined ? undefined : new Date(earliest + 1).toISOString(),
    );
  }
  return coPartitioned(
    topics,
    perTopic.map((partitions) => partitions.map(({ start }) => start)),
  );
}

/**
 * Where each partition's records written at or after `sinceMs` begin, or its oldest retained record when
 * retention took some of them (or `sinceMs` is undefined): as much of that history as Kafka still holds.
 */
export async function offsetsSince(
  kafka: Kafka,
  topics: readonly string[],
  sinceMs: number | undefined,
): Promise<PartitionOffsets> {
  return withAdmin(kafka, async (admin) => {
    const perTopic = await Promise.all(
      topics.map(async (topic) => {
        const [at, ends] = await Promise.all([
          sinceMs === undefined ? undefined : admin.fetchTopicOffsetsByTimestamp(topic, kafkaTime(sinceMs)),
          admin.fetchTopicOffsets(topic),
        ]);
        return ends
          .sort((a, b) => a.partition - b.partition)
          .map((end) => {
            const since = BigInt(at?.find((p) => p.partition === end.partition)!.offset ?? '0');
            return since > BigInt(end.low) ? since : BigInt(end.low);
          });
      }),
    );
    return coPartitioned(topics, perTopic);
  });
}

/** The end of every input partition now (the offset the next record will get), one per topic. */
export async function historyEnds(kafka: Kafka, topics: readonly string[]): Promise<PartitionOffsets> {
  return withAdmin(kafka, async (admin) => {
    const perTopic = await Promise.all(
      topics.map(async (topic) =>
        (await admin.fetchTopicOffsets(topic))
          .sort((a, b) => a.partition - b.partition)
          .map((p) => BigInt(p.high)),
      ),
    );
    return coPartitioned(topics, perTopic);
  });
}

/** Per-topic offsets turned into per-partition ones; the input topics carry a client on one partition number. */
function coPartitioned(topics: readonly string[], perTopic: bigint[][]): PartitionOffsets {
  const counts = new Set(perTopic.map((offsets) => offsets.length));
  if (counts.size !== 1)
    throw new Error(
      `the input topics ${topics.join(', ')} have different partition counts (${perTopic.map((o) => o.length).join(', ')}); they must be equal`,
    );
  return perTopic[0]!.map((_, partition) => perTopic.map((offsets) => offsets[partition]!));
}
