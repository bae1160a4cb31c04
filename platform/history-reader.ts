import { randomUUID } from 'node:crypto';
import {
  AssignerProtocol,
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type PartitionAssigner,
} from 'kafkajs';
import { BankOrder, type Taken } from './bank-order.js';

/** A stream stops being fetched past this many buffered records, and is fetched again below half of it. */
const MAX_BUFFERED = 20_000;
/** How long a read may go without a single fetched record before it is given up as stuck. */
const STALL_MS = 60_000;
const READER_ASSIGNER = 'AchievementsHistoryReader';

/** The records of one partition read in bank order, each with the index of its topic. */
export type HistoryRecords = Taken<KafkaMessage>[];

/** History needed by a read is gone: retention deleted it. */
export class HistoryGone extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly wanted: bigint,
    readonly earliest: bigint,
  ) {
    super(
      `${topic} partition ${partition} holds records from offset ${earliest} only; offset ${wanted} and after were wanted (retention deleted them)`,
    );
    this.name = 'HistoryGone';
  }
}

/**
 * Assigns exactly one partition of every subscribed topic to the reader, the group's only member: the group is
 * the reader's own, so the live consumer group is never touched.
 */
const onlyPartition =
  (partition: number): PartitionAssigner =>
  () => ({
    name: READER_ASSIGNER,
    version: 1,
    assign: ({ members, topics }) =>
      Promise.resolve(
        members.map((member, i) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: i === 0 ? Object.fromEntries(topics.map((topic) => [topic, [partition]])) : {},
            userData: Buffer.alloc(0),
          }),
        })),
      ),
    protocol: ({ topics }) => ({
      name: READER_ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
  });

/**
 * One partition of the input topics read from given offsets, in bank order, as far as each `readUntil` asks.
 * kafkajs only consumes through a consumer group, so the reader runs in a group of its own that commits
 * nothing and is deleted on `close`: it leaves no group and no committed offset behind on the broker.
 */
export class HistoryReader {
  private readonly order: BankOrder<KafkaMessage>;
  private readonly paused = new Set<number>();
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly kafka: Kafka,
    private readonly consumer: Consumer,
    private readonly groupId: string,
    private readonly topics: readonly string[],
    private readonly partition: number,
    from: readonly bigint[],
  ) {
    this.order = new BankOrder(from);
  }

  /** Opens a reader of `partition` of each topic, from the offsets given per topic. */
  static async open(kafka: Kafka, topics: readonly string[], partition: number, from: readonly bigint[]) {
    await ensureRetained(kafka, topics, partition, from);
    const groupId = `achievements-history-${randomUUID()}`;
    const consumer = kafka.consumer({
      groupId,
      partitionAssigners: [onlyPartition(partition)],
      maxBytesPerPartition: 4 << 20,
      maxWaitTimeInMs: 250,
      retry: { retries: 8 },
    });
    const reader = new HistoryReader(kafka, consumer, groupId, topics, partition, from);
    await reader.start(from);
    return reader;
  }

  private async start(from: readonly bigint[]) {
    const { consumer, partition } = this;
    consumer.on(consumer.events.CRASH, ({ payload }) => this.fail(payload.error));
    // A fetch holding only control records (transaction markers) reaches no handler, but still moves on.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.order.push(this.topics.indexOf(payload.topic), [], BigInt(payload.lastOffset) + 1n);
      this.wake?.();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.topics.length,
      eachBatch: ({ batch }) => {
        const stream = this.topics.indexOf(batch.topic);
        this.order.push(stream, batch.messages, BigInt(batch.lastOffset()) + 1n);
        if (this.order.buffered(stream) > MAX_BUFFERED) this.pause(stream);
        this.wake?.();
        return Promise.resolve();
      },
    });
    this.topics.forEach((topic, i) => consumer.seek({ topic, partition, offset: from[i]!.toString() }));
  }

  private fail(error: Error) {
    this.failure = error;
    this.wake?.();
  }

  private pause(stream: number) {
    this.paused.add(stream);
    this.consumer.pause([{ topic: this.topics[stream]!, partitions: [this.partition] }]);
  }

  private resumeDrained() {
    for (const stream of this.paused) {
      if (this.order.buffered(stream) > MAX_BUFFERED / 2) continue;
      this.paused.delete(stream);
      this.consumer.resume([{ topic: this.topics[stream]!, partitions: [this.partition] }]);
    }
  }

  /** The offset each topic continues from. */
  positions(): bigint[] {
    return this.order.positions();
  }

  /**
   * Hands every record below `until` (per topic) to `onRecords`, in bank order and in runs of up to `maxRun`,
   * and resolves once all were handed (true), or earlier, between runs, when `shouldStop` says so (false).
   */
  async readUntil(
    until: readonly bigint[],
    onRecords: (records: HistoryRecords) => Promise<void> | void,
    shouldStop: () => boolean = () => false,
    maxRun = 5_000,
  ): Promise<boolean> {
    this.order.setUntil(until);
    let quietSince = Date.now();
    while (!this.order.reached()) {
      if (this.failure) throw this.failure;
      if (shouldStop()) return false;
      const run = this.order.take(maxRun);
      this.resumeDrained();
      if (run.length > 0) {
        quietSince = Date.now();
        await onRecords(run);
        continue;
      }
      if (Date.now() - quietSince > STALL_MS)
        throw new Error(`no record of partition ${this.partition} arrived in ${STALL_MS / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return true;
  }

  /** Leaves and deletes the reader's group; nothing of it stays on the broker. */
  async close() {
    await this.consumer.disconnect();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([this.groupId]);
    } catch {
      // Already gone: an empty group that never committed may be removed by the broker itself.
    } finally {
      await admin.disconnect();
    }
  }
}

/** Refuses a read from offsets retention has already deleted, rather than reading a history with a hole. */
async function ensureRetained(
  kafka: Kafka,
  topics: readonly string[],
  partition: number,
  from: readonly bigint[],
) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [i, topic] of topics.entries()) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const earliest = BigInt(offsets.find((p) => p.partition === partition)?.low ?? '0');
      if (from[i]! < earliest) throw new HistoryGone(topic, partition, from[i]!, earliest);
    }
  } finally {
    await admin.disconnect();
  }
}
