import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';

/** A replay from a time whose history Kafka may no longer hold in full: refused rather than run on a part. */
export class BeyondRetention extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly earliestFrom: string | undefined,
  ) {
    super(
      `partition ${partition} of ${topic} no longer holds its history from that time (retention deleted the oldest records)` +
        (earliestFrom ? `; the earliest time a replay can start from now is ${earliestFrom}` : ''),
    );
    this.name = 'BeyondRetention';
  }
}

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

/** How long a topic keeps records by time alone, or undefined when it may delete them earlier (by size) or never. */
async function timeOnlyRetentionMs(admin: Admin, topic: string): Promise<number | undefined> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'retention.bytes'] },
    ],
  });
  const value = (name: string) =>
    Number(resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue);
  const byTime = value('retention.ms');
  return byTime >= 0 && value('retention.bytes') < 0 ? byTime : undefined;
}

/**
 * Where each partition's history from `fromMs` begins, on every input topic (the first offset whose Kafka
 * timestamp is at or after it). Refused with `BeyondRetention` when a partition has lost records that may be
 * that recent: its oldest retained record is no older than `fromMs`, and time-based retention alone does not
 * prove every deleted record older. The topics must be co-partitioned (equal partition counts).
 */
export async function historyFrom(
  kafka: Kafka,
  topics: readonly string[],
  fromMs: number,
  nowMs = Date.now(),
): Promise<PartitionOffsets> {
  return withAdmin(kafka, async (admin) => {
    const perTopic = await Promise.all(
      topics.map(async (topic) => {
        const [at, ends, retentionMs] = await Promise.all([
          admin.fetchTopicOffsetsByTimestamp(topic, fromMs),
          admin.fetchTopicOffsets(topic),
          timeOnlyRetentionMs(admin, topic),
        ]);
        const proven = retentionMs !== undefined && fromMs >= nowMs - retentionMs;
        for (const end of ends) {
          const start = BigInt(at.find((p) => p.partition === end.partition)!.offset);
          if (BigInt(end.low) > 0n && start <= BigInt(end.low) && !proven) {
            const earliest =
              retentionMs === undefined ? undefined : new Date(nowMs - retentionMs + 60_000).toISOString();
            throw new BeyondRetention(topic, end.partition, earliest);
          }
        }
        return ends
          .map((end) => ({
            partition: end.partition,
            offset: at.find((p) => p.partition === end.partition)!,
          }))
          .sort((a, b) => a.partition - b.partition)
          .map(({ offset }) => BigInt(offset.offset));
      }),
    );
    return coPartitioned(topics, perTopic);
  });
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
          sinceMs === undefined ? undefined : admin.fetchTopicOffsetsByTimestamp(topic, sinceMs),
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
