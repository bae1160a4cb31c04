import {
  Kafka,
  logLevel,
  Partitioners,
  type ConfigResourceTypes,
  type KafkaConfig,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { config } from './config.js';
import { kafkaSecurity } from './connection-security.js';
import { logger } from './logger.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Routes kafkajs's own logging into the structured logger instead of its console output. Its `correlationId`
 * (a Kafka request's number) is renamed, so a search by an unlock's correlation id finds only the unlock's lines.
 */
function kafkajsLogCreator() {
  const log = logger('kafkajs');
  return ({ level, log: { message, correlationId, ...extra } }: LogEntry) =>
    log[levels[level] ?? 'info']({ ...extra, kafkaRequestId: correlationId }, message);
}

/**
 * A kafkajs client for the configured brokers, over TLS and SASL when configured; `clientId` names the role in
 * broker logs.
 */
export function createKafka(
  clientId: string,
  brokers: string[] = config().KAFKA_BROKERS,
  security: Pick<KafkaConfig, 'ssl' | 'sasl'> = kafkaSecurity(config()),
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    ...security,
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator,
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

/**
 * Kafka's resource type of a topic's configuration. Node finds no `ConfigResourceTypes` among the named
 * exports of kafkajs's CommonJS module, so its value is spelled out here.
 */
export const TOPIC_CONFIG = 2 as ConfigResourceTypes.TOPIC;

/**
 * A producer connected when first asked for (a role that rarely produces, as the API redriving dead letters,
 * opens no connection until then); `disconnect` closes it if it was.
 */
export function lazyProducer(kafka: Kafka) {
  let connected: Promise<Producer> | undefined;
  return {
    get: () =>
      (connected ??= (async () => {
        const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
        return producer;
      })().catch((error: unknown) => {
        connected = undefined;
        throw error;
      })),
    disconnect: async () => {
      if (connected) await (await connected.catch(() => undefined))?.disconnect();
    },
  };
}
