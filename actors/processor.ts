import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Message,
  type Producer,
} from 'kafkajs';
import { logger } from '../platform/logger.js';
import { TOPICS } from '../platform/topics.js';
import { deadLetter } from './dead-letters.js';
import { decodeRecord, type InputEvent } from './decode.js';

export const CONSUMER_GROUP = 'achievements-engine';

export interface ProcessorOptions {
  kafka: Kafka;
  /** Receives one partition's valid events of a batch, in offset order. */
  onEvents: (events: InputEvent[]) => Promise<void>;
  groupId?: string;
}

/**
 * Decodes a batch, sends the records that fail their schema to the dead-letter topic and hands the rest on.
 * A bad record never stops the partition: it is moved aside with its reason and the batch goes on.
 */
async function processBatch(payload: EachBatchPayload, producer: Producer, options: ProcessorOptions) {
  const { batch } = payload;
  const events: InputEvent[] = [];
  const deadLetters: Message[] = [];
  for (const message of batch.messages) {
    const decoded = decodeRecord(batch.topic, message.key, message.value);
    if (decoded.ok) events.push(decoded.event);
    else
      deadLetters.push(
        deadLetter({ topic: batch.topic, partition: batch.partition, message }, decoded.error),
      );
  }
  if (deadLetters.length > 0) {
    await producer.send({ topic: TOPICS.deadLetters, messages: deadLetters });
    logger('processor').warn(
      { topic: batch.topic, partition: batch.partition, count: deadLetters.length },
      'records sent to the DLQ',
    );
  }
  if (events.length > 0) await options.onEvents(events);
  payload.resolveOffset(batch.lastOffset());
  await payload.heartbeat();
}

/** Joins the consumer group on the input topics; the returned function commits, leaves the group and disconnects. */
export async function startProcessor(options: ProcessorOptions): Promise<() => Promise<void>> {
  const producer = options.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer: Consumer = options.kafka.consumer({ groupId: options.groupId ?? CONSUMER_GROUP });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.transactions, TOPICS.clientEvents], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatchAutoResolve: false,
    eachBatch: (payload) => processBatch(payload, producer, options),
  });
  logger('processor').info({ groupId: options.groupId ?? CONSUMER_GROUP }, 'consuming input topics');
  return async () => {
    await consumer.disconnect();
    await producer.disconnect();
  };
}
