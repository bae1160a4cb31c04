import { applyCaps } from './caps.js';
import { catalogOfRule, type CatalogRule } from './catalog.js';
import type { AchievementUnlocked } from './decide.js';
import { unionEntries } from './entries.js';
import { leftInGroupCap } from './group-grants.js';
import type { RecordPosition } from './holdings.js';
import { initialProgress, type ClientProgress, type RepeatRecord, type UnlockRecord } from './progress.js';
import { unionRefunds } from './refunds.js';
import type { ReplayEarning, ReplayedClient } from './replay.js';
import type { RuleLevel } from './rule-schema.js';

/** A client's progress once a backfill's replay is merged into it. */
export interface MergedClient {
  /** The progress to store: the live progress itself when the replay adds nothing to it. */
  progress: ClientProgress;
  /** Unlocks the replay found that live processing had not made. */
  found: AchievementUnlocked[];
  /** Unlocks live processing made under the backfilled version, at the time the whole history reached them. */
  corrected: AchievementUnlocked[];
}

/** What live processing holds of the rule's achievements for one client, each named by `earningKey`. */
export interface LiveEarnings {
  /** Earnings live processing made under the backfilled version (from the events since its activation alone). */
  underVersion: ReadonlyMap<string, UnlockRecord>;
  /** Every earning of a repeating level the client holds, whichever version or backfill made it. */
  held: ReadonlySet<string>;
}

/** How an earning is named in `LiveEarnings`: its achievement, and a repeating one's occurrence. */
export const earningKey = (achievementId: string, occurrence?: string) =>
  occurrence === undefined ? achievementId : `${achievementId}\u0000${occurrence}`;

const unlockOf = (
  clientId: string,
  rule: CatalogRule,
  level: RuleLevel,
  record: UnlockRecord & { occurrence?: string; points?: number; source?: RecordPosition },
): AchievementUnlocked => ({
  type: 'AchievementUnlocked',
  clientId,
  achievementId: level.achievementId,
  ruleId: rule.id,
  ruleVersion: rule.version,
  points: record.points ?? level.points,
  partnerId: level.partner,
  unlockedAt: record.at,
  sourceEventId: record.sourceEventId,
  ...(record.occurrence !== undefined ? { occurrence: record.occurrence } : {}),
  ...(record.source ? { sourceRecord: record.source } : {}),
});

const differs = (a: UnlockRecord, b: UnlockRecord) => a.at !== b.at || a.sourceEventId !== b.sourceEventId;

/** The later of two latest earnings; of the same occurrence, the one its stored unlock now has. */
function latest(held: RepeatRecord['last'] | undefined, replayed: RepeatRecord['last'], corrects: boolean) {
  if (!held) return replayed;
  if (held.occurrence === replayed.occurrence) return corrects ? replayed : held;
  return Date.parse(held.at) > Date.parse(replayed.at) ? held : replayed;
}

const earliest = (a: string | undefined, b: string | undefined) =>
  a === undefined || (b !== undefined && Date.parse(b) < Date.parse(a)) ? b : a;

/**
 * A repeating level's record once the replay's earnings of it are merged: occurrences the client does not hold
 * are found (and counted), those live processing made under this version take the time history gives them,
 * and the periods either earned stay earned.
 */
function mergeRepeat(
  clientId: string,
  rule: CatalogRule,
  level: RuleLevel,
  held: RepeatRecord | undefined,
  replayed: { record: RepeatRecord; earnings: ReplayEarning[] },
  live: LiveEarnings,
  out: { found: AchievementUnlocked[]; corrected: AchievementUnlocked[] },
): RepeatRecord {
  let added = 0;
  for (const earning of replayed.earnings) {
    const key = earningKey(level.achievementId, earning.occurrence);
    const stored = live.underVersion.get(key);
    if (!live.held.has(key)) {
      out.found.push(unlockOf(clientId, rule, level, earning));
      added++;
    } else if (stored && differs(stored, earning))
      out.corrected.push(unlockOf(clientId, rule, level, earning));
  }
  const { record } = replayed;
  const corrects = live.underVersion.has(earningKey(level.achievementId, record.last.occurrence));
  const firstAt = earliest(held?.firstAt, record.firstAt);
  return {
    times: (held?.times ?? 0) + added,
    open: [...new Set([...(held?.open ?? []), ...record.open])].sort((a, b) => a - b),
    last: latest(held?.last, record.last, corrects),
    ...(firstAt !== undefined ? { firstAt } : {}),
  };
}

/** The client's repeat records with the rule's levels merged; the live ones themselves when nothing changed. */
function mergeRepeats(
  clientId: string,
  rule: CatalogRule,
  base: ClientProgress,
  replayed: ReplayedClient,
  live: LiveEarnings,
  out: { found: AchievementUnlocked[]; corrected: AchievementUnlocked[] },
): ClientProgress['repeats'] {
  let repeats = base.repeats;
  for (const level of rule.levels) {
    const record = replayed.progress.repeats?.[level.achievementId];
    if (!record) continue;
    const earnings = replayed.earnings.filter((earning) => earning.achievementId === level.achievementId);
    const held = repeats?.[level.achievementId];
    const merged = mergeRepeat(clientId, rule, level, held, { record, earnings }, live, out);
    if (JSON.stringify(merged) !== JSON.stringify(held))
      repeats = { ...repeats, [level.achievementId]: merged };
  }
  return repeats;
}

const sameEntries = (a: number[] | undefined, b: number[] | undefined) =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((value, i) => value === b![i]);

/**
 * A client's live progress with what a backfill's replay of one rule found in history, as if the rule had been
 * live since the replay began. The rule's counted events and refunds are those of both (live processing has
 * counted, since the activation, events the replay counted too, and may know attributes set before the replay
 * began); unlocks the replay found and live processing had not are added (each occurrence of a repeating
 * level); an unlock live processing made under this version (from the events since the activation alone)
 * takes the time and source event the whole history gives it. The client's other rules, newest time and
 * attributes stay live processing's.
 */
export function mergeReplayed(
  clientId: string,
  live: ClientProgress | undefined,
  client: ReplayedClient,
  rule: CatalogRule,
  earned: LiveEarnings,
  zone: string,
): MergedClient {
  const replayed = client.progress;
  const base = live ?? {
    ...initialProgress(),
    transactionsHorizonMs: replayed.transactionsHorizonMs,
    eventsHorizonMs: replayed.eventsHorizonMs,
  };
  const unlocked: Record<string, UnlockRecord> = { ...base.unlocked };
  const found: AchievementUnlocked[] = [];
  const corrected: AchievementUnlocked[] = [];
  for (const level of rule.levels) {
    const record = replayed.unlocked[level.achievementId];
    if (!record) continue;
    const held = base.unlocked[level.achievementId];
    const earning = client.earnings.find((e) => e.achievementId === level.achievementId);
    const made = { ...record, points: earning?.points, source: earning?.source };
    if (!held) found.push(unlockOf(clientId, rule, level, made));
    else if (earned.underVersion.has(level.achievementId) && differs(held, record))
      corrected.push(unlockOf(clientId, rule, level, made));
    else continue;
    unlocked[level.achievementId] = record;
  }
  const repeats = mergeRepeats(clientId, rule, base, client, earned, { found, corrected });
  const key = rule.progressKey;
  const { [key]: liveRule, ...others } = base.rules;
  const settled = rule.levels.every((level) => Object.hasOwn(unlocked, level.achievementId));
  const entries = settled ? [] : unionEntries(liveRule?.entries ?? [], replayed.rules[key]?.entries ?? []);
  const refunds = unionRefunds(base.refunds, replayed.refunds);
  const transactionsHorizonMs = Math.max(base.transactionsHorizonMs, replayed.transactionsHorizonMs);
  const eventsHorizonMs = Math.max(base.eventsHorizonMs, replayed.eventsHorizonMs);
  if (
    live &&
    found.length === 0 &&
    corrected.length === 0 &&
    sameEntries(liveRule?.entries, entries) &&
    refunds === base.refunds &&
    repeats === base.repeats &&
    transactionsHorizonMs === base.transactionsHorizonMs &&
    eventsHorizonMs === base.eventsHorizonMs
  )
    return { progress: live, found, corrected };
  const rules = entries.length > 0 ? { ...others, [key]: { entries } } : others;
  const progress = {
    ...base,
    transactionsHorizonMs,
    eventsHorizonMs,
    rules,
    unlocked,
    refunds,
    ...(repeats ? { repeats } : {}),
  };
  if (!rule.cap || found.length === 0) return { progress, found, corrected };
  return { ...withinCap(progress, found, client, rule, zone), corrected };
}

/**
 * A capped rule's found unlocks, each with at most what the client's cap left in its period once what live
 * processing granted there is counted (a cap is shared with live earnings, as a budget is), taken in the order
 * the replay made them; the progress with what they spent. A cap of the rule alone: a period live processing no
 * longer keeps (no record on time can fall in it) leaves each the points the replay's own cap gave it. A cap
 * shared with a group: the group's grants the replay was given (see group-grants.ts) are counted in every
 * period, and the level's points capped anew.
 */
function withinCap(
  merged: ClientProgress,
  found: AchievementUnlocked[],
  { earnings, grants = [] }: ReplayedClient,
  rule: CatalogRule,
  zone: string,
) {
  const catalog = catalogOfRule(rule);
  const made = (unlock: AchievementUnlocked) =>
    earnings.findIndex((e) => e.achievementId === unlock.achievementId && e.occurrence === unlock.occurrence);
  const levelPoints = (unlock: AchievementUnlocked) =>
    rule.levels.find((level) => level.achievementId === unlock.achievementId)!.points;
  let progress = merged;
  const spentFound: number[] = [];
  const capped = [...found]
    .sort((a, b) => made(a) - made(b))
    .map((unlock) => {
      const atMs = earnings[made(unlock)]!.recordAtMs;
      const asked =
        rule.cap!.group === undefined
          ? unlock
          : {
              ...unlock,
              points: leftInGroupCap(rule, { grants, found: spentFound }, atMs, levelPoints(unlock), zone),
            };
      const after = applyCaps(progress, [asked], catalog, atMs, zone);
      progress = after.progress;
      spentFound.push(atMs, after.unlocked[0]!.points);
      return after.unlocked[0]!;
    });
  return { progress, found: capped };
}
