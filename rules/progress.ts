/**
 * A client's progress: the state the client actor holds, the rule engine evolves and PostgreSQL stores as JSON.
 * It is kept small on purpose (the engine caches one per active client): events are remembered only while
 * they can still matter, as flat numeric triples, and a rule whose levels are all unlocked forgets its events.
 */

/** One rule's events that count: `entries` is flat triples `[eventKey, timeMs, value, …]`. */
export interface RuleProgress {
  /** The newest event time that counted; how late another event may arrive is measured from it. */
  latestMs: number;
  entries: number[];
}

export interface UnlockRecord {
  at: string;
  sourceEventId: string;
}

export interface ClientProgress {
  rules: Record<string, RuleProgress>;
  unlocked: Record<string, UnlockRecord>;
  /** Keys of refunds that arrived before the purchase they reverse, so that purchase never counts. */
  refunded: number[];
}

export const initialProgress = (): ClientProgress => ({ rules: {}, unlocked: {}, refunded: [] });

/** A 53-bit hash of an event id or a field value: compact to keep, and safe as a JS number. */
export function keyOf(text: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 0x01000193);
    h2 = Math.imul(h2 ^ code, 0x5bd1e995);
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) >>> 11);
}
