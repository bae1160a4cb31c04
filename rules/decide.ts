import { withAttributes } from './attributes.js';
import { inAudience, NO_CONTEXT, type ClientContext } from './audience.js';
import type { Catalog, CatalogRule } from './catalog.js';
import { dropOlder, hasKey, insertEntry, readEntries } from './entries.js';
import { eventTimeMs, type ClientEvent, type InputEvent, type Transaction } from './events.js';
import { clientEventMismatch, transactionMismatch, type Mismatch } from './filters.js';
import { measureKind } from './measures.js';
import {
  clientEventKey,
  horizonOf,
  keyOf,
  LATENESS_MS,
  transferKey,
  type ClientProgress,
} from './progress.js';
import { refundedAmounts, withPurchaseArrived, withRefund } from './refunds.js';
import { wasSeen, withSeen } from './seen.js';
import { applyCaps, withGrants } from './caps.js';
import { unlockComposites } from './composites.js';
import { earnLevels, type Earned } from './earn.js';
import { keepsFor, startFollowUps, startOf } from './follow-ups.js';
import { withHoldings, type Holding, type RecordPosition } from './holdings.js';
import { windowKind } from './windows.js';

/** An achievement the event unlocked: a past-tense fact the outputs turn into records and workflows. */
export interface AchievementUnlocked {
  type: 'AchievementUnlocked';
  clientId: string;
  achievementId: string;
  ruleId: string;
  /** The version of the rule it was earned under. */
  ruleVersion: number;
  points: number;
  partnerId: string | undefined;
  /** When the target was first reached, in event time, by the events known when it unlocked. */
  unlockedAt: string;
  /** The event whose arrival unlocked it. */
  sourceEventId: string;
  /** Which earning of a repeating achievement this is: its period (2026-11) or its count (3). */
  occurrence?: string;
  /** The level's points when a cap left fewer (`points`) to grant. */
  cappedFrom?: number;
  /** Where the source event's record sits, set by whoever read it (`decide` does not know): stored with it. */
  sourceRecord?: RecordPosition;
}

/** What an event did to one rule; `decide` reports these when asked, for explanations and simulations. */
export type RuleOutcome =
  | {
      rule: string;
      outcome:
        | 'counted'
        | 'repeat'
        | 'late'
        | 'refunded'
        | 'settled'
        | 'no-value'
        | 'outside-audience'
        | 'erased'
        /** A follow-up's event kept until the client holds its prerequisite (see follow-ups.ts). */
        | 'waiting'
        /** Dated before the follow-up started: it never counts. */
        | 'before-start';
    }
  | { rule: string; outcome: 'unmatched'; mismatch: Mismatch };

export interface Decision {
  progress: ClientProgress;
  unlocked: AchievementUnlocked[];
  /** Per rule the event was offered to; present when `decide` was asked to trace. */
  outcomes?: RuleOutcome[];
}

/** An event as the rules count it: its key, time and amount, and the transaction or client event it is. */
interface Counted {
  clientId: string;
  id: string;
  key: number;
  timeMs: number;
  amount: number;
  transaction: Transaction | undefined;
  clientEvent: ClientEvent | undefined;
}

/** A rule all of whose levels are unlocked counts nothing more; a repeating one never settles. */
const isSettled = (rule: CatalogRule, progress: ClientProgress) =>
  !rule.repeat && rule.levels.every((level) => Object.hasOwn(progress.unlocked, level.achievementId));

const countedTransaction = (tx: Transaction, timeMs: number): Counted => ({
  clientId: tx.clientId,
  id: tx.id,
  key: tx.kind === 'transfer' ? transferKey(tx.id) : keyOf(tx.id),
  timeMs,
  amount: tx.amount,
  transaction: tx,
  clientEvent: undefined,
});

const countedClientEvent = (event: ClientEvent, timeMs: number): Counted => ({
  clientId: event.clientId,
  id: event.id,
  key: clientEventKey(event.id),
  timeMs,
  amount: 1,
  transaction: undefined,
  clientEvent: event,
});

/**
 * What the rule keeps of the event (a distinct value; else 0), which part of its trigger, filter or schedule the event
 * fails, or undefined when the rule cannot count it (it lacks the field measured). No allocation: per event
 * and rule on the hot path.
 */
function valueFor(rule: CatalogRule, event: Counted, zone: string): number | Mismatch | undefined {
  const tx = event.transaction;
  if (tx === undefined) return clientEventMismatch(rule, event.clientEvent!, event.timeMs, zone) ?? 0;
  return transactionMismatch(rule, tx, event.timeMs, zone) ?? measureKind(rule.measure).valueOf(tx);
}

/**
 * Counts an admitted event towards every rule that matches it, and unlocks each level whose target a window
 * holding the event now reaches. A rule whose levels are all unlocked forgets its entries.
 */
function countTowardsRules(
  progress: ClientProgress,
  event: Counted,
  horizonMs: number,
  catalog: Catalog,
  zone: string,
  client: ClientContext,
  /** What rules outside the catalog earned on this record: a replay of one rule's (see holdings.ts). */
  brought: readonly Holding[] | undefined,
  outcomes: RuleOutcome[] | undefined,
): Decision {
  // Read only once a rule takes the event: most events match no rule.
  let refunded: Map<number, number> | undefined;
  let remaining = 0;
  let rules = progress.rules;
  const held: Earned = { unlocked: progress.unlocked, repeats: progress.repeats };
  let earned = held;
  const unlocked: AchievementUnlocked[] = [];
  for (const rule of catalog.rules) {
    const valued = valueFor(rule, event, zone);
    if (valued === undefined) {
      outcomes?.push({ rule: rule.id, outcome: 'no-value' });
      continue;
    }
    if (typeof valued === 'string') {
      outcomes?.push({ rule: rule.id, outcome: 'unmatched', mismatch: valued });
      continue;
    }
    if (!inAudience(rule, progress, client)) {
      outcomes?.push({ rule: rule.id, outcome: 'outside-audience' });
      continue;
    }
    if (isSettled(rule, progress)) {
      outcomes?.push({ rule: rule.id, outcome: 'settled' });
      continue;
    }
    // By what the client held before this record: a follow-up whose prerequisite the record brings waits here,
    // and starts below, over all its windows.
    const startMs = startOf(rule, held);
    if (startMs !== undefined && event.timeMs < startMs) {
      outcomes?.push({ rule: rule.id, outcome: 'before-start' });
      continue;
    }
    const window = windowKind(rule);
    const keeps = keepsFor(rule, window, startMs, { progress, catalog, horizonMs, zone });
    const kept = dropOlder(rules[rule.progressKey]?.entries ?? [], keeps);
    if (hasKey(kept, event.key)) {
      outcomes?.push({ rule: rule.id, outcome: 'repeat' });
      continue;
    }
    if (refunded === undefined) {
      refunded = refundedAmounts(progress.refunds);
      remaining = Math.max(0, event.amount - (refunded.get(event.key) ?? 0));
    }
    const entries = insertEntry(kept, {
      key: event.key,
      timeMs: event.timeMs,
      amount: event.amount,
      value: valued,
    });
    outcomes?.push({
      rule: rule.id,
      outcome: startMs === undefined ? 'waiting' : remaining > 0 ? 'counted' : 'refunded',
    });
    // Copied once, on the first rule that takes the event, and written in place after: copying the client's
    // rules for every rule that took it was a large share of decide()'s time and garbage. The copy is this call's.
    if (rules === progress.rules) rules = { ...rules };
    rules[rule.progressKey] = { entries };
    if (remaining <= 0 || startMs === undefined) continue;
    // A started follow-up's entries are those dated from its start: `keepsFor` dropped the others.
    const read = readEntries(entries, refunded);
    earned = earnLevels(rule, earned, { read, event, horizonMs, window, zone }, unlocked);
    if (!rule.repeat && rule.levels.every((level) => Object.hasOwn(earned.unlocked, level.achievementId)))
      delete rules[rule.progressKey];
  }
  // What rules outside the catalog earned on this record comes as theirs would have: after the counting.
  if (brought) earned = withHoldings(earned, brought);
  ({ earned, rules } = unlockDependents(
    catalog,
    { earned, rules },
    { progress, client, event, zone },
    unlocked,
  ));
  // An event no rule took (a repeat, a settled rule, a mismatch) leaves the progress as it was: nothing to store.
  const changed =
    rules !== progress.rules || earned.unlocked !== progress.unlocked || earned.repeats !== progress.repeats;
  const after = changed
    ? {
        ...progress,
        rules,
        unlocked: earned.unlocked,
        ...(earned.repeats ? { repeats: earned.repeats } : {}),
      }
    : progress;
  const granted = brought ? withGrants(after, brought, catalog, event.timeMs, zone) : after;
  return applyCaps(granted, unlocked, catalog, event.timeMs, zone);
}

/**
 * Composites and follow-ups read what the client holds, so each may unlock what the other reads ("a follow-up
 * of a composite", "a composite of a follow-up"): both are asked again until neither unlocks more, in the same
 * record, whatever their order in the catalog.
 */
function unlockDependents(
  catalog: Catalog,
  state: { earned: Earned; rules: ClientProgress['rules'] },
  at: Parameters<typeof startFollowUps>[2],
  found: AchievementUnlocked[],
) {
  let { earned, rules } = state;
  const started = new Set<CatalogRule>();
  for (let before: Earned | undefined; before !== earned;) {
    before = earned;
    earned = unlockComposites(catalog, earned, at, found);
    ({ earned, rules } = startFollowUps(catalog, { earned, rules }, at, started, found));
  }
  return { earned, rules };
}

/** Notes, for a trace, that no rule considered an event, and why. */
function noteNone(
  catalog: Catalog,
  outcomes: RuleOutcome[] | undefined,
  outcome: 'late' | 'erased' | 'repeat',
) {
  for (const rule of catalog.rules) outcomes?.push({ rule: rule.id, outcome });
}

function decideEvent(
  progress: ClientProgress,
  event: InputEvent,
  timeMs: number,
  catalog: Catalog,
  zone: string,
  client: ClientContext,
  brought: readonly Holding[] | undefined,
  outcomes: RuleOutcome[] | undefined,
): Decision {
  if (event.type === 'TransactionReceived' && event.transaction.kind === 'refund') {
    const tx = event.transaction;
    const next = withRefund(progress, {
      refundKey: keyOf(tx.id),
      purchaseKey: keyOf(tx.originalId!),
      amount: tx.amount,
      timeMs,
    });
    return { progress: next, unlocked: [] };
  }
  const counted =
    event.type === 'TransactionReceived'
      ? countedTransaction(event.transaction, timeMs)
      : countedClientEvent(event.event, timeMs);
  const horizonMs = horizonOf(progress, event);
  if (timeMs < horizonMs - LATENESS_MS) {
    noteNone(catalog, outcomes, 'late');
    return { progress, unlocked: [] };
  }
  const known = event.type === 'ClientEventReceived' ? withAttributes(progress, event.event) : progress;
  return countTowardsRules(
    withPurchaseArrived(known, counted.key),
    counted,
    horizonMs,
    catalog,
    zone,
    client,
    brought,
    outcomes,
  );
}

/** The key an event's id is remembered by in its topic's seen ids: a transaction's whatever its kind. */
const seenKeyOf = (event: InputEvent) =>
  event.type === 'TransactionReceived' ? keyOf(event.transaction.id) : clientEventKey(event.event.id);

const seenOf = (progress: ClientProgress, event: InputEvent) =>
  event.type === 'TransactionReceived' ? progress.seenTransactions : progress.seenEvents;

/** The progress with the event's topic horizon at `horizonMs` and its id remembered (see seen.ts). */
function withArrival(
  progress: ClientProgress,
  event: InputEvent,
  key: number,
  horizonMs: number,
): ClientProgress {
  return event.type === 'TransactionReceived'
    ? {
        ...progress,
        transactionsHorizonMs: horizonMs,
        seenTransactions: withSeen(progress.seenTransactions, key, horizonMs),
      }
    : { ...progress, eventsHorizonMs: horizonMs, seenEvents: withSeen(progress.seenEvents, key, horizonMs) };
}

/**
 * The rule engine: a pure function of (progress, event) → (progress, unlocks), shared by live processing,
 * replays of history, simulations and the rule tests. `zone` is the bank's time zone for calendar windows.
 *
 * Every record moves its input topic's horizon for the client (the newest time of the client's transactions,
 * or of their client events); a record dated more than `LATENESS_MS` before it counts for nothing. The same
 * event id counts once, whatever it carries (see seen.ts). A refund takes back what it covers of its purchase, before or after the purchase
 * arrives (see refunds.ts). An `attributes.updated` event sets the
 * client's attributes; a rule with an audience counts only for clients in it, by those attributes and the
 * segments in `options.client` (see audience.ts). An event dated before the client's erasure
 * (`options.client.erasedAtMs`) counts for nothing. `options.brought` is what other rules earned on this record,
 * for a replay of one rule (see holdings.ts).
 */
export function decide(
  progress: ClientProgress,
  event: InputEvent,
  catalog: Catalog,
  zone: string,
  options: { trace?: boolean; client?: ClientContext; brought?: readonly Holding[] } = {},
): Decision {
  const timeMs = eventTimeMs(event);
  const client = options.client ?? NO_CONTEXT;
  const outcomes: RuleOutcome[] | undefined = options.trace ? [] : undefined;
  if (client.erasedAtMs !== undefined && timeMs < client.erasedAtMs) {
    // An erased client's past stays erased: it neither counts nor moves a horizon.
    noteNone(catalog, outcomes, 'erased');
    return outcomes ? { progress, unlocked: [], outcomes } : { progress, unlocked: [] };
  }
  const horizonMs = horizonOf(progress, event);
  const key = seenKeyOf(event);
  if (wasSeen(seenOf(progress, event), key, horizonMs)) {
    noteNone(catalog, outcomes, 'repeat');
    return outcomes ? { progress, unlocked: [], outcomes } : { progress, unlocked: [] };
  }
  const arrived = withArrival(progress, event, key, Math.max(horizonMs, timeMs));
  const decision = decideEvent(arrived, event, timeMs, catalog, zone, client, options.brought, outcomes);
  return outcomes ? { ...decision, outcomes } : decision;
}
