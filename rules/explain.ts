import type { ClientContext } from './audience.js';
import type { Achievement, Catalog, CatalogRule } from './catalog.js';
import { decide, type AchievementUnlocked, type RuleOutcome } from './decide.js';
import { hasKey } from './entries.js';
import type { Holding } from './holdings.js';
import { MAX_AHEAD_MS } from './decode.js';
import type { InputEvent } from './events.js';
import type { Mismatch } from './filters.js';
import { initialProgress, keyOf, LATENESS_MS, type ClientProgress } from './progress.js';
import { startedBy, startOf } from './follow-ups.js';
import { windowKind } from './windows.js';
import { isComposite } from './composites.js';

export interface ExplainedEvent {
  id: string;
  time: string;
  counted: boolean;
  why: string;
}

const MISMATCH: Record<Mismatch, string> = {
  trigger: 'not the kind of event this achievement counts',
  kind: 'its transaction kind is not one the rule counts',
  category: 'its merchant category is not one the rule counts',
  merchant: 'its merchant is not one the rule counts',
  currency: 'its currency is not one the rule counts',
  country: 'its country is not one the rule counts (or it has none)',
  amount: "its amount is outside the rule's range",
  attributes: "its attributes do not match the rule's",
  excluded: 'the rule excludes it (its filter\'s "not")',
  'none-of-any': 'it matches none of the alternatives the rule counts (its filter\'s "any")',
  'not-started': 'dated before the campaign starts',
  ended: 'dated after the campaign ended',
  weekday: 'dated on a day of the week the rule does not count',
  hours: 'dated at a time of day the rule does not count',
};

const OUTCOME: Record<Exclude<RuleOutcome['outcome'], 'unmatched' | 'waiting' | 'before-start'>, string> = {
  counted: 'counted',
  repeat: 'a repeat: its id was received before, and counts once whatever the copy carries',
  late: `too late: dated more than ${LATENESS_MS / 86_400_000} days before the newest record of its kind (transaction or app action) received before it`,
  refunded: 'its refunds had already taken back all of it',
  settled: 'the achievement was already unlocked',
  'no-value': 'it lacks the field this achievement counts',
  'outside-audience': 'the client was not in the audience this achievement is for',
  erased: 'dated before the client’s data was erased: it counts for nothing',
};

function idAndTime(event: InputEvent) {
  const source = event.type === 'TransactionReceived' ? event.transaction : event.event;
  return { id: source.id, time: source.time };
}

/** What a refund did to one rule's count: took back from its purchase, waits for it, or changed nothing. */
function refundWhy(
  before: ClientProgress,
  after: ClientProgress,
  progressKey: string,
  refundId: string,
  originalId: string,
) {
  const refundKey = keyOf(refundId);
  const seen = (progress: ClientProgress) =>
    progress.refunds.some((key, i) => i % 4 === 0 && key === refundKey);
  if (seen(before)) return 'a repeat of a refund already counted';
  if (hasKey(before.rules[progressKey]?.entries ?? [], keyOf(originalId))) {
    return `a refund: took back what it covers of purchase ${originalId}`;
  }
  return seen(after)
    ? `a refund of ${originalId}, remembered until that purchase arrives`
    : `a refund of ${originalId}, which had nothing to take back here`;
}

/** One event's effect on one rule, with the client's progress before and after it. */
export interface TracedEvent extends ExplainedEvent {
  /** What `decide` did with it for the rule; undefined for a refund, which no rule is offered. */
  outcome: RuleOutcome['outcome'] | undefined;
  before: ClientProgress;
  after: ClientProgress;
  /** What the event unlocked of this rule. */
  unlocked: AchievementUnlocked[];
}

/**
 * Replays a client's events through the same `decide` the engine runs, from no progress, and says for each
 * what it did to one rule of the catalog: the trace behind explanations, simulations and rule tests.
 * `brought[i]` is what other rules earned on event i (see example-holds.ts), as a replay gives it.
 */
export function traceRule(
  ruleId: string,
  catalog: Catalog,
  events: InputEvent[],
  zone: string,
  client?: ClientContext,
  brought: readonly (readonly Holding[] | undefined)[] = [],
): TracedEvent[] {
  const rule = catalog.rules.find((candidate) => candidate.id === ruleId)!;
  let progress = initialProgress();
  return events.map((event, i) => {
    const { id, time } = idAndTime(event);
    const before = progress;
    const decision = decide(before, event, catalog, zone, {
      trace: true,
      ...(client ? { client } : {}),
      ...(brought[i] ? { brought: brought[i] } : {}),
    });
    progress = decision.progress;
    const unlocked = decision.unlocked.filter((u) => u.ruleId === ruleId);
    const traced = (outcome: RuleOutcome | undefined, counted: boolean, why: string) => ({
      id,
      time,
      counted,
      why,
      outcome: outcome?.outcome,
      before,
      after: progress,
      unlocked,
    });
    if (event.type === 'TransactionReceived' && event.transaction.kind === 'refund')
      return traced(
        undefined,
        false,
        refundWhy(before, progress, rule.progressKey, id, event.transaction.originalId!),
      );
    // Every event but a refund is offered to every rule, and the trace says what each did with it.
    const outcome = decision.outcomes!.find((o) => o.rule === ruleId)!;
    if (outcome.outcome === 'unmatched') return traced(outcome, false, MISMATCH[outcome.mismatch]);
    if (unlocked.length > 0)
      return traced(
        outcome,
        true,
        `counted, and unlocked ${unlocked.map((u) => u.achievementId).join(', ')}`,
      );
    if (outcome.outcome === 'waiting' || outcome.outcome === 'before-start')
      return traced(outcome, ...followUpWhy(rule, progress, Date.parse(time)));
    return traced(outcome, outcome.outcome === 'counted', OUTCOME[outcome.outcome]);
  });
}

/**
 * Whether a follow-up's event counts, and why, as `progress` knows its start: dated before it, counted from it,
 * or kept until the client holds its prerequisite.
 */
function followUpWhy(rule: CatalogRule, progress: ClientProgress, timeMs: number): [boolean, string] {
  const earned = { unlocked: progress.unlocked, repeats: progress.repeats };
  const startMs = startOf(rule, earned);
  if (startMs === undefined)
    return [false, `kept until ${rule.after!.achievement} is unlocked: the follow-up counts only from then`];
  if (timeMs < startMs) return [false, `before the follow-up began: ${startedBy(rule, earned)}`];
  return [true, `counted: the follow-up began when ${startedBy(rule, earned)}`];
}

/** What a cap took from an unlock's points, said after "unlocked the achievement"; nothing when it took none. */
function cappedWhy(unlock: AchievementUnlocked, rule: CatalogRule): string {
  if (unlock.cappedFrom === undefined || !rule.cap) return '';
  const { points, per, group } = rule.cap;
  const of = group ? `the group ${group}'s` : 'its';
  return ` with ${unlock.points} of its ${unlock.cappedFrom} points: ${of} cap of ${points} points a ${per} was reached`;
}

/** One achievement explained: why each of the client's events did or did not count, and what was left out. */
export interface Explanation {
  events: ExplainedEvent[];
  /**
   * How many of the client's records are dated before their erasure (CONTRACT §7): they count for nothing and
   * are left out, since their ids, times and amounts are what the erasure removed.
   */
  eventsBeforeErasure: number;
}

/**
 * Why each of a client's events did or did not count towards one achievement (for disputes: "I should have
 * it"). Records dated before the client's erasure are only counted: `decide` draws the same line, so leaving
 * them out of the replay changes nothing of the rest.
 */
export function explain(
  achievementId: string,
  catalog: Catalog,
  events: InputEvent[],
  zone: string,
  client?: ClientContext,
): Explanation {
  const { rule } = catalog.achievements.get(achievementId)!;
  const erasedAtMs = client?.erasedAtMs;
  const kept =
    erasedAtMs === undefined
      ? events
      : events.filter((event) => Date.parse(idAndTime(event).time) >= erasedAtMs);
  const traced = traceRule(rule.id, catalog, kept, zone, client);
  // A follow-up's events are judged by when it began, which a later record may have brought.
  const last = traced.at(-1)?.after;
  const explained = traced.map(({ id, time, counted, why, outcome, before, after, unlocked }) => {
    if (Object.hasOwn(before.unlocked, achievementId))
      return { id, time, counted: false, why: OUTCOME.settled };
    const unlock = unlocked.find((u) => u.achievementId === achievementId);
    const began =
      outcome === 'waiting' ? followUpWhy(rule, after, Date.parse(time))[0] : outcome === 'counted';
    if (unlock && rule.after && !began) {
      const earned = { unlocked: after.unlocked, repeats: after.repeats };
      return {
        id,
        time,
        counted: false,
        why: `the follow-up began on its arrival (${startedBy(rule, earned)}), and the events dated since unlocked the achievement${cappedWhy(unlock, rule)}`,
      };
    }
    if (unlock)
      return {
        id,
        time,
        counted: true,
        why: `counted, and unlocked the achievement${cappedWhy(unlock, rule)}`,
      };
    if (unlocked.length > 0) return { id, time, counted: true, why: OUTCOME.counted };
    if (outcome === 'waiting' && last) {
      const [counts, because] = followUpWhy(rule, last, Date.parse(time));
      return { id, time, counted: counts, why: because };
    }
    return { id, time, counted, why };
  });
  return { events: explained, eventsBeforeErasure: events.length - kept.length };
}

const DAY_MS = 86_400_000;

/**
 * The Kafka time from which a client's records can explain an achievement: those of the window that unlocked it
 * (or, while locked, of the window now), and the week before it whose records decide what arrived too late.
 * Records are written to Kafka at most a day before their event time (see decode.ts). A lifetime window or a
 * streak has no such bound, and reading a year of a bank's partition for one client would take minutes: a first
 * time is explained from around its unlock, a streak from the run that unlocked it, and one still locked from
 * the first event its progress still keeps (or, keeping none, from the week before now). Undefined, all of the
 * history, only for what can rest on records anywhere in it: an unlocked lifetime count, sum or distinct, a
 * composite, a follow-up (whose start is the record that unlocked its prerequisite).
 */
export function historySince(achievement: Achievement, progress: ClientProgress, nowMs: number) {
  const { rule, level } = achievement;
  if (rule.after || isComposite(rule)) return undefined;
  const margin = LATENESS_MS + MAX_AHEAD_MS;
  const unlock = progress.unlocked[level.achievementId];
  const spanMs = windowKind(rule).spanMs;
  if (spanMs !== undefined) return (unlock ? Date.parse(unlock.at) : nowMs) - spanMs - margin;
  if (unlock) {
    if (rule.measure.type === 'first') return Date.parse(unlock.at) - margin;
    if (rule.measure.type === 'streak') return Date.parse(unlock.at) - (level.target - 1) * DAY_MS - margin;
    return undefined;
  }
  // Entries are kept in time order, four numbers each: the second is the earliest kept event's time.
  const kept = progress.rules[rule.progressKey]?.entries ?? [];
  return (kept.length > 0 ? kept[1]! : nowMs) - margin;
}
