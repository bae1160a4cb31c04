/** Kafka topic names fixed by CONTRACT §2. The engine never writes to the input topics. */
export const TOPICS = Object.freeze({
  transactions: 'bank.transactions.v1',
  clientEvents: 'bank.client-events.v1',
  unlocked: 'achievements.unlocked.v1',
  notifications: 'notifications.push.v1',
  deadLetters: 'achievements.dlq.v1',
});

export const ALL_TOPICS: readonly string[] = Object.values(TOPICS);
