import { inAudience, type ClientContext } from './audience.js';
import type { Catalog, CatalogRule } from './catalog.js';
import type { AchievementUnlocked } from './decide.js';
import { earnInAnyWindow, type Earned } from './earn.js';
import { dropOlder, readEntries, type Entry } from './entries.js';
import { LATENESS_MS, type ClientProgress, type RuleProgress } from './progress.js';
import { refundedAmounts } from './refunds.js';
import type { Rule } from './rule-schema.js';
import type { RuleProblem } from './rule-validation.js';
import { windowKind, type WindowKind } from './windows.js';

/**
 * Follow-ups: rules that count only from another achievement on (`after: { achievement }`, "a coffee badge
 * once you made your first purchase"). An event counts towards one only when dated at or after the time the
 * client came to hold the prerequisite: its unlock, or a repeating one's first earning. Before the client holds
 * it, a follow-up's measure is 0 and it unlocks nothing.
 *
 * Its events are kept as any rule's are, whether or not the prerequisite is held yet: a record dated after the
 * prerequisite's eventual unlock may arrive before the record that unlocks it, late or from the other input
 * topic. The record on which the client comes to hold the prerequisite measures the follow-up over every window
 * of the events dated since (each is new to it), in the same `decide`, and unlocks what they reach at the
 * earliest time they reach it; from then on it counts as any rule does, the events dated before the start
 * dropped.
 */

export const isFollowUp = (rule: Rule) => rule.after !== undefined;

/** When the client came to hold an achievement, as a follow-up counts from it; undefined while not held. */
function heldFrom(earned: Earned, achievementId: string): number | undefined {
  if (Object.hasOwn(earned.unlocked, achievementId)) return Date.parse(earned.unlocked[achievementId]!.at);
  const repeats = earned.repeats?.[achievementId];
  if (!repeats) return undefined;
  if (repeats.firstAt !== undefined) return Date.parse(repeats.firstAt);
  // Earned before first earnings were kept: exact when earned once; else from all the follow-up holds.
  return repeats.times === 1 ? Date.parse(repeats.last.at) : -Infinity;
}

/** When the rule starts counting for the client: -Infinity for a rule that follows nothing, undefined while waiting. */
export function startOf(rule: Rule, earned: Earned): number | undefined {
  return rule.after ? heldFrom(earned, rule.after.achievement) : -Infinity;
}

/** The entries (in time order) a rule that started at `startMs` measures: those dated from then on. */
export function fromStart(entries: Entry[], startMs: number): Entry[] {
  return startMs === -Infinity ? entries : entries.filter((entry) => entry.timeMs >= startMs);
}

/** How the start of a follow-up reads in a trace: "<id> was unlocked at <time>". */
export function startedBy(rule: Rule, earned: Earned): string {
  const id = rule.after!.achievement;
  const start = startOf(rule, earned);
  if (start === undefined || start === -Infinity) return `${id} was earned`;
  const verb = Object.hasOwn(earned.unlocked, id) ? 'unlocked' : 'first earned';
  return `${id} was ${verb} at ${new Date(start).toISOString()}`;
}

type Topic = 'transactions' | 'clientEvents';

/** The input topics whose records can bring the client to hold an achievement, following what it depends on. */
function topicsOf(catalog: Catalog, achievementId: string, seen = new Set<string>()): Set<Topic> {
  const found = catalog.achievements.get(achievementId);
  if (!found || seen.has(achievementId)) return new Set();
  seen.add(achievementId);
  const { trigger, after } = found.rule;
  const topics = new Set<Topic>();
  if (trigger.on === 'transaction') topics.add('transactions');
  else if (trigger.on === 'client-event') topics.add('clientEvents');
  else for (const id of trigger.of) for (const topic of topicsOf(catalog, id, seen)) topics.add(topic);
  if (after) for (const topic of topicsOf(catalog, after.achievement, seen)) topics.add(topic);
  return topics;
}

const topicsByCatalog = new WeakMap<Catalog, Map<string, Set<Topic>>>();

function prerequisiteTopics(catalog: Catalog, achievementId: string): Set<Topic> {
  let known = topicsByCatalog.get(catalog);
  if (!known) topicsByCatalog.set(catalog, (known = new Map<string, Set<Topic>>()));
  let topics = known.get(achievementId);
  if (!topics) known.set(achievementId, (topics = topicsOf(catalog, achievementId)));
  return topics;
}

/**
 * Whether a follow-up's start can come on a record of the other input topic than the one it counts: then what
 * it had counted by then, and so when (and, should a refund land between, whether) it unlocks, depends on the
 * order in which processing took the two topics (README, "What support can tell a client").
 */
export function startsOnOtherTopic(catalog: Catalog, rule: Rule): boolean {
  if (!rule.after) return false;
  const own: Topic = rule.trigger.on === 'transaction' ? 'transactions' : 'clientEvents';
  return [...prerequisiteTopics(catalog, rule.after.achievement)].some((topic) => topic !== own);
}

/**
 * The earliest time the client could still come to hold the achievement at. A record unlocks nothing dated
 * before it (a window that did not hold it reached nothing new), and no record dated more than `LATENESS_MS`
 * before the newest of its topic counts: so the oldest on-time moment of the topics that can bring it. A topic
 * the client has no record of yet bounds nothing.
 */
function earliestStart(catalog: Catalog, achievementId: string, progress: ClientProgress): number {
  let earliest = Infinity;
  for (const topic of prerequisiteTopics(catalog, achievementId)) {
    const horizonMs = topic === 'transactions' ? progress.transactionsHorizonMs : progress.eventsHorizonMs;
    if (horizonMs === 0) return -Infinity;
    earliest = Math.min(earliest, horizonMs - LATENESS_MS);
  }
  return earliest;
}

/**
 * Which of a rule's entries are worth keeping: a follow-up's from its start on, as far as its window keeps
 * them; while it waits, also those its prerequisite's unlock could still come before, whose windows all open
 * when it does. Each is a threshold, as `dropOlder` needs.
 */
export function keepsFor(
  rule: CatalogRule,
  window: WindowKind,
  startMs: number | undefined,
  at: { progress: ClientProgress; catalog: Catalog; horizonMs: number; zone: string },
): (timeMs: number) => boolean {
  const keeps = window.keeps(at.horizonMs, at.zone);
  if (!rule.after) return keeps;
  if (startMs !== undefined) return (timeMs) => timeMs >= startMs && keeps(timeMs);
  const earliest = earliestStart(at.catalog, rule.after.achievement, at.progress);
  return (timeMs) => timeMs >= earliest || keeps(timeMs);
}

const followUpsOf = new WeakMap<Catalog, CatalogRule[]>();

function followUps(catalog: Catalog): CatalogRule[] {
  let found = followUpsOf.get(catalog);
  if (!found) followUpsOf.set(catalog, (found = catalog.rules.filter(isFollowUp)));
  return found;
}

/** Where a record starts follow-ups: the progress as it found it (its arrival noted), for whom and what. */
export interface StartContext {
  progress: ClientProgress;
  client: ClientContext;
  event: { id: string; clientId: string; timeMs: number };
  zone: string;
}

/**
 * Starts the follow-ups whose prerequisite the client came to hold on this record (after `progress`): each is
 * measured over every window of its events dated from its start, and its entries before that are dropped. Once
 * per follow-up and record (`started`): asked again after composites unlock, it starts only those not started.
 * Unlocks are pushed to `found`; what the client earned, and the rules' entries, after them.
 *
 * Only a record brings the prerequisite here: one that a backfill's merge adds (its rule can be backfilled) or
 * that came while the client was outside the follow-up's audience starts nothing, and the follow-up then counts
 * from it as new events come, without measuring the windows it held before.
 */
export function startFollowUps(
  catalog: Catalog,
  state: { earned: Earned; rules: Record<string, RuleProgress> },
  at: StartContext,
  started: Set<CatalogRule>,
  found: AchievementUnlocked[],
): { earned: Earned; rules: Record<string, RuleProgress> } {
  let { earned, rules } = state;
  const before: Earned = { unlocked: at.progress.unlocked, repeats: at.progress.repeats };
  let refunded: Map<number, number> | undefined;
  for (const rule of followUps(catalog)) {
    if (started.has(rule) || startOf(rule, before) !== undefined) continue;
    const startMs = startOf(rule, earned);
    if (startMs === undefined || !inAudience(rule, at.progress, at.client)) continue;
    started.add(rule);
    const key = rule.progressKey;
    const flat = rules[key]?.entries ?? [];
    const entries = dropOlder(flat, (timeMs) => timeMs >= startMs);
    refunded ??= refundedAmounts(at.progress.refunds);
    const horizonMs =
      rule.trigger.on === 'transaction' ? at.progress.transactionsHorizonMs : at.progress.eventsHorizonMs;
    const read = readEntries(entries, refunded);
    earned = earnInAnyWindow(
      rule,
      earned,
      { read, event: at.event, horizonMs, window: windowKind(rule), zone: at.zone },
      found,
    );
    const settled =
      !rule.repeat && rule.levels.every((level) => Object.hasOwn(earned.unlocked, level.achievementId));
    if (entries === flat && !settled) continue;
    const { [key]: _dropped, ...others } = rules;
    rules = settled || entries.length === 0 ? others : { ...others, [key]: { entries } };
  }
  return { earned, rules };
}

/**
 * What a follow-up's prerequisite must fit besides the schema: it is an achievement of another rule. Checked
 * against the same achievements as a composite's (`RuleContext.achievementsOfOthers`).
 */
export function followUpProblems(
  rule: Rule,
  achievementsOfOthers: ReadonlyMap<string, string>,
): RuleProblem[] {
  const id = rule.after?.achievement;
  if (id === undefined || achievementsOfOthers.has(id)) return [];
  return [
    {
      pointer: '/after/achievement',
      detail: `no rule has an achievement ${id}; name the achievement id of a level of another rule`,
    },
  ];
}
