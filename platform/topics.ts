/** Kafka topic names fixed by CONTRACT §2. The engine never writes to the input topics. */
export const TOPICS = Object.freeze({
  transactions: 'bank.transactions.v1',
  clientEvents: 'bank.client-events.v1',
  unlocked: 'achievements.unlocked.v1',
  notifications: 'notifications.push.v1',
  deadLetters: 'achievements.dlq.v1',
  redrive: 'achievements.redrive.v1',
});

export const ALL_TOPICS: readonly string[] = Object.values(TOPICS);

/** The live processors' consumer group; its positions are stored in PostgreSQL with the progress they produced. */
export const CONSUMER_GROUP = 'achievements-engine';

/** The input topics a processor or a replay reads: CONTRACT §2's, or a test's own. */
export interface InputTopics {
  transactions: string;
  clientEvents: string;
}

/** What a processor reads: the input topics and, where operations redrive dead letters, the redrive topic. */
export interface ProcessedTopics extends InputTopics {
  redrive?: string;
}
