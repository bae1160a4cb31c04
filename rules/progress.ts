import type { InputEvent } from './events.js';

/**
 * A client's progress: the state the client actor holds, the rule engine evolves and PostgreSQL stores as JSON.
 * It keeps each counted event for as long as it can still change an achievement, as flat numbers, and a rule
 * whose levels are all unlocked forgets its events.
 */

/**
 * How late a record may be and still count: dated at most this long before the client's newest record of its
 * own input topic (see `horizonOf`).
 */
export const LATENESS_MS = 7 * 86_400_000;

/** The stored layout; progress written by earlier builds is upgraded when read (see `upgradeProgress`). */
export const PROGRESS_FORMAT = 3;

/**
 * One rule's counted events, flat quadruples `[eventKey, timeMs, amount, value, …]` in rising time: `amount` is
 * the purchase's (1 for a client event), `value` what the measure keeps of it (a distinct value; else 0).
 */
export interface RuleProgress {
  entries: number[];
}

export interface UnlockRecord {
  at: string;
  sourceEventId: string;
}

/** A repeating achievement's earnings (see repeats.ts). */
export interface RepeatRecord {
  /** How many times it was earned. */
  times: number;
  /** The calendar periods it was earned in that a record on time could still reach (none for `target`). */
  open: number[];
  /** The latest earning, and which occurrence it was. */
  last: UnlockRecord & { occurrence: string };
}

/** Client attributes by name: `[value, timeMs]`, a null value being a removal remembered (see attributes.ts). */
export type ClientAttributes = Record<string, [string | number | boolean | null, number]>;

export interface ClientProgress {
  format: typeof PROGRESS_FORMAT;
  /** The newest time among the client's transactions: how late another transaction may be is measured from it. */
  transactionsHorizonMs: number;
  /** The newest time among the client's app actions (client events): the same for another client event. */
  eventsHorizonMs: number;
  rules: Record<string, RuleProgress>;
  unlocked: Record<string, UnlockRecord>;
  /** Repeating achievements by id; absent until one is earned. */
  repeats?: Record<string, RepeatRecord>;
  /** Points earned under each cap, per recent period (see caps.ts); absent until a capped rule unlocks. */
  caps?: Record<string, number[]>;
  /**
   * Refunds, flat quadruples `[refundKey, purchaseKey, amount, timeMs, …]`: those taking back a counted purchase,
   * and those whose purchase has not arrived yet (remembered while it could still count).
   */
  refunds: number[];
  /** Set by `attributes.updated` events; absent until the first one. */
  attributes?: ClientAttributes;
  /** The ids of the client's latest transactions and client events (see seen.ts); absent until the first. */
  seenTransactions?: number[];
  seenEvents?: number[];
}

export const initialProgress = (): ClientProgress => ({
  format: PROGRESS_FORMAT,
  transactionsHorizonMs: 0,
  eventsHorizonMs: 0,
  rules: {},
  unlocked: {},
  refunds: [],
});

/**
 * The horizon a record's lateness is measured from: that of its own input topic. Live processing keeps each
 * partition's order but not the order across the two topics, so a client event taken before transactions the
 * bank wrote earlier must not make them late: with one horizon per topic, what counts is the same however
 * processing interleaves the topics, and a replay of history in the bank's order counts what live did.
 */
export const horizonOf = (progress: ClientProgress, event: InputEvent) =>
  event.type === 'TransactionReceived' ? progress.transactionsHorizonMs : progress.eventsHorizonMs;

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

/** The key of a client event: kept apart from purchase keys, so a refund never reaches one. */
export const clientEventKey = (eventId: string) => keyOf(`\u0000event\u0000${eventId}`);

/** The key of a transfer: refunds reverse purchases only (CONTRACT §2), so one never reaches a transfer. */
export const transferKey = (transactionId: string) => keyOf(`\u0000transfer\u0000${transactionId}`);
