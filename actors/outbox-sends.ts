import { Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import { chunksBySize } from '../platform/dead-letter-sink.js';

/** An outbox row as a Kafka message, with the row's id. */
export interface OutboxMessage {
  id: string;
  topic: string;
  message: Message & { key: string; value: string };
}

/** What a pass over some outbox rows did with each. */
export interface SendOutcome {
  /** Acknowledged by the broker. */
  sent: OutboxMessage[];
  /** Refused for good, each alone, with the partition it was for and the broker's answer. */
  refused: { record: OutboxMessage; partition: number; refusal: Error }[];
  /** A failure that may heal (a broker or topic missing, a timeout): the records it left unsent stay. */
  failure?: Error;
}

/**
 * Kafka's answers that are about the records of one partition's batch, not about the cluster: sent again,
 * they are refused again. A lone record refused so is refused for good. Errors that name a topic (missing,
 * not authorized, an invalid name), the cluster (not enough replicas, a leader moving) or the clock (a
 * timestamp out of range: kafkajs stamps records as it sends them) heal or are the deployment's to fix, so the
 * records stay. CORRUPT_MESSAGE is left out too: it is a checksum failed on the way, which kafkajs retries.
 */
const REFUSED_FOR_GOOD = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** The Kafka protocol error (kafkajs wraps it once it stops retrying) that refuses the records sent. */
function refusalOf(error: unknown): Error | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    const type = (cause as { type?: unknown }).type;
    if (typeof type === 'string' && REFUSED_FOR_GOOD.has(type)) return cause;
  }
  return undefined;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/** A record's bytes as a produce request carries them, near enough to keep requests under the broker's limit. */
export const sizeOf = ({ message }: OutboxMessage) =>
  Buffer.byteLength(message.key) +
  Buffer.byteLength(message.value) +
  Object.entries(message.headers ?? {}).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(String(value)),
    0,
  );

/** The producer's own partitioner, so a record goes where the processor's producer would send it by its key. */
const partitioner = Partitioners.DefaultPartitioner();

/** `items` grouped by `keyOf`, each group in the order given. */
function groupBy<K, T>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The records by the partition their key sends them to, each partition's in the order given. */
async function byPartition(admin: Admin, topic: string, records: OutboxMessage[]) {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitionMetadata = topics[0]!.partitions;
  return groupBy(records, ({ message }) => partitioner({ topic, partitionMetadata, message }));
}

/**
 * Sends one partition's records in order, in produce requests of that partition alone: Kafka takes or refuses
 * a partition's batch whole, so a refusal says nothing was written and the halves can be sent again without a
 * duplicate. A refused batch is halved until the refused record stands alone (a batch of records each fine
 * may together exceed the topic's limit). A failure that may heal stops the partition there, keeping its order.
 */
async function sendPartition(
  producer: Producer,
  topic: string,
  partition: number,
  records: OutboxMessage[],
): Promise<SendOutcome> {
  const outcome: SendOutcome = { sent: [], refused: [] };
  const queue = chunksBySize(records, sizeOf);
  for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
    try {
      await producer.send({ topic, messages: chunk.map(({ message }) => ({ ...message, partition })) });
      outcome.sent.push(...chunk);
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) return { ...outcome, failure: asError(error) };
      if (chunk.length === 1) outcome.refused.push({ record: chunk[0]!, partition, refusal });
      else
        queue.unshift(chunk.slice(0, Math.ceil(chunk.length / 2)), chunk.slice(Math.ceil(chunk.length / 2)));
    }
  }
  return outcome;
}

/**
 * Sends records (in outbox order) to their topics, each partition's in order and apart from the others', so
 * neither a record the broker refuses nor a partition that cannot be reached holds back, or sends again, the
 * records of any other partition.
 */
export async function sendByPartition(
  producer: Producer,
  admin: Admin,
  records: OutboxMessage[],
): Promise<SendOutcome> {
  const topics = groupBy(records, (record) => record.topic);
  const outcomes = await Promise.all(
    [...topics].map(async ([topic, ofTopic]): Promise<SendOutcome[]> => {
      let partitions;
      try {
        partitions = await byPartition(admin, topic, ofTopic);
      } catch (error) {
        return [{ sent: [], refused: [], failure: asError(error) }];
      }
      return Promise.all(
        [...partitions].map(([partition, ofPartition]) =>
          sendPartition(producer, topic, partition, ofPartition),
        ),
      );
    }),
  );
  const all = outcomes.flat();
  const failure = all.find((outcome) => outcome.failure !== undefined)?.failure;
  return {
    sent: all.flatMap((outcome) => outcome.sent),
    refused: all.flatMap((outcome) => outcome.refused),
    ...(failure !== undefined ? { failure } : {}),
  };
}
