import type { InputEvent } from './decode.js';
import type { ClientEvent, Transaction } from './events.js';
import type { Catalog } from './catalog.js';
import { clientEventMatches, transactionMatches } from './filters.js';
import { addEntry, admits, entriesOf, measureAround, measuredValue, packEntries, prune } from './measures.js';
import { keyOf, type ClientProgress, type RuleProgress } from './progress.js';
import type { Rule } from './rule-schema.js';

/** An achievement the event unlocked: a past-tense fact the outputs turn into records and workflows. */
export interface AchievementUnlocked {
  type: 'AchievementUnlocked';
  clientId: string;
  achievementId: string;
  ruleId: string;
  points: number;
  partnerId: string | undefined;
  unlockedAt: string;
  sourceEventId: string;
}

export interface Decision {
  progress: ClientProgress;
  unlocked: AchievementUnlocked[];
}

/** Refunds seen before their purchase are remembered this many at a time (the newest). */
const MAX_EARLY_REFUNDS = 64;

function isSettled(rule: Rule, progress: ClientProgress): boolean {
  return rule.levels.every((level) => level.achievementId in progress.unlocked);
}

interface Fact {
  clientId: string;
  eventId: string;
  timeMs: number;
}

function unlockLevels(
  rule: Rule,
  progress: ClientProgress,
  measured: number,
  fact: Fact,
): AchievementUnlocked[] {
  return rule.levels
    .filter((level) => measured >= level.target && !(level.achievementId in progress.unlocked))
    .map((level) => ({
      type: 'AchievementUnlocked',
      clientId: fact.clientId,
      achievementId: level.achievementId,
      ruleId: rule.id,
      points: level.points,
      partnerId: level.partner,
      unlockedAt: new Date(fact.timeMs).toISOString(),
      sourceEventId: fact.eventId,
    }));
}

/** Applies one counted event to one rule: its new progress (undefined when settled) and what it unlocked. */
function countTowards(rule: Rule, progress: ClientProgress, fact: Fact, value: number, zone: string) {
  if (rule.measure.type === 'first') {
    return { ruleProgress: undefined, unlocked: unlockLevels(rule, progress, 1, fact) };
  }
  const current: RuleProgress = progress.rules[rule.id] ?? { latestMs: fact.timeMs, entries: [] };
  const key = keyOf(fact.eventId);
  const entries = entriesOf(current);
  if (entries.some((entry) => entry.key === key) || !admits(rule, current.latestMs, fact.timeMs, zone)) {
    return { ruleProgress: current, unlocked: [] };
  }
  const latestMs = Math.max(current.latestMs, fact.timeMs);
  const grown = prune(
    rule,
    addEntry(rule, entries, { key, timeMs: fact.timeMs, value }, zone),
    latestMs,
    zone,
  );
  const unlocked = unlockLevels(rule, progress, measureAround(rule, grown, fact.timeMs, zone), fact);
  return { ruleProgress: { latestMs, entries: packEntries(grown) }, unlocked };
}

function applyToRules(
  progress: ClientProgress,
  rules: readonly Rule[],
  fact: Fact,
  valueFor: (rule: Rule) => number | undefined,
  zone: string,
): Decision {
  // Copied once, on the first rule the event counts for; an event no rule counts leaves `progress` as it was.
  let next: ClientProgress | undefined;
  const unlocked: AchievementUnlocked[] = [];
  for (const rule of rules) {
    const current = next ?? progress;
    if (isSettled(rule, current)) continue;
    const value = valueFor(rule);
    if (value === undefined) continue;
    const outcome = countTowards(rule, current, fact, value, zone);
    const unchanged = outcome.ruleProgress === current.rules[rule.id] && outcome.unlocked.length === 0;
    if (unchanged) continue; // a duplicate, or an event too late to count
    next ??= { ...progress, rules: { ...progress.rules }, unlocked: { ...progress.unlocked } };
    for (const unlock of outcome.unlocked) {
      next.unlocked[unlock.achievementId] = { at: unlock.unlockedAt, sourceEventId: unlock.sourceEventId };
    }
    if (outcome.ruleProgress && !isSettled(rule, next)) next.rules[rule.id] = outcome.ruleProgress;
    else delete next.rules[rule.id];
    unlocked.push(...outcome.unlocked);
  }
  return { progress: next ?? progress, unlocked };
}

/** A refund takes its purchase's contribution back from every rule that has not unlocked yet. */
function takeBack(progress: ClientProgress, purchaseId: string): ClientProgress {
  const key = keyOf(purchaseId);
  let found = false;
  const rules: Record<string, RuleProgress> = {};
  for (const [ruleId, ruleProgress] of Object.entries(progress.rules)) {
    const entries = entriesOf(ruleProgress);
    const kept = entries.filter((entry) => entry.key !== key);
    found ||= kept.length < entries.length;
    rules[ruleId] =
      kept.length < entries.length ? { ...ruleProgress, entries: packEntries(kept) } : ruleProgress;
  }
  if (found) return { ...progress, rules };
  // The refund came first: remember it so the purchase, when it arrives, is not counted.
  const refunded = [...progress.refunded.filter((k) => k !== key), key].slice(-MAX_EARLY_REFUNDS);
  return { ...progress, refunded };
}

function decideTransaction(
  progress: ClientProgress,
  tx: Transaction,
  catalog: Catalog,
  zone: string,
): Decision {
  if (tx.kind === 'refund') return { progress: takeBack(progress, tx.originalId!), unlocked: [] };
  if (progress.refunded.includes(keyOf(tx.id))) return { progress, unlocked: [] };
  const fact = { clientId: tx.clientId, eventId: tx.id, timeMs: Date.parse(tx.time) };
  const valueFor = (rule: Rule) => (transactionMatches(rule, tx) ? measuredValue(rule, tx) : undefined);
  return applyToRules(progress, catalog.rules, fact, valueFor, zone);
}

function decideClientEvent(
  progress: ClientProgress,
  event: ClientEvent,
  catalog: Catalog,
  zone: string,
): Decision {
  const fact = { clientId: event.clientId, eventId: event.id, timeMs: Date.parse(event.time) };
  return applyToRules(
    progress,
    catalog.rules,
    fact,
    (rule) => (clientEventMatches(rule, event) ? 1 : undefined),
    zone,
  );
}

/**
 * The rule engine: a pure function of (progress, event) → (progress, unlocks), shared by live processing,
 * replays of history and the rule tests. `zone` is the bank's time zone for calendar windows.
 */
export function decide(
  progress: ClientProgress,
  event: InputEvent,
  catalog: Catalog,
  zone: string,
): Decision {
  switch (event.type) {
    case 'TransactionReceived':
      return decideTransaction(progress, event.transaction, catalog, zone);
    case 'ClientEventReceived':
      return decideClientEvent(progress, event.event, catalog, zone);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
