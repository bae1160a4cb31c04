import { config } from './config.js';

/**
 * Kafka topic names of CONTRACT §2, each after a prefix (KAFKA_TOPIC_PREFIX; none by default). The engine never
 * writes to the input topics.
 */
export function topicsOf(prefix = '') {
  return Object.freeze({
    transactions: `${prefix}bank.transactions.v1`,
    clientEvents: `${prefix}bank.client-events.v1`,
    unlocked: `${prefix}achievements.unlocked.v1`,
    notifications: `${prefix}notifications.push.v1`,
    deadLetters: `${prefix}achievements.dlq.v1`,
    redrive: `${prefix}achievements.redrive.v1`,
    erasures: `${prefix}achievements.erasures.v1`,
  });
}

export type EngineTopics = ReturnType<typeof topicsOf>;

/** The topics as CONTRACT §2 names them, with no prefix. */
export const TOPICS = topicsOf();

/**
 * The engine's consumer groups after KAFKA_GROUP_PREFIX: the live processors' (whose positions are stored in
 * PostgreSQL with the progress they produced) and the worker's, turning unlock records into reward workflows.
 */
export function consumerGroupsOf(prefix = 'achievements') {
  return Object.freeze({ processors: `${prefix}-engine`, rewards: `${prefix}-rewards` });
}

/** The topics as this process is configured (KAFKA_TOPIC_PREFIX). */
export const configuredTopics = () => topicsOf(config().KAFKA_TOPIC_PREFIX);

/** The consumer groups as this process is configured (KAFKA_GROUP_PREFIX). */
export const configuredGroups = () => consumerGroupsOf(config().KAFKA_GROUP_PREFIX);

/** The input topics a processor or a replay reads: CONTRACT §2's, or a test's own. */
export interface InputTopics {
  transactions: string;
  clientEvents: string;
}

/** What a processor reads: the input topics and, where operations redrive dead letters, the redrive topic. */
export interface ProcessedTopics extends InputTopics {
  redrive?: string;
}
