import type { CatalogRule } from './catalog.js';
import type { AchievementUnlocked } from './decide.js';
import { unionEntries } from './entries.js';
import { initialProgress, type ClientProgress, type UnlockRecord } from './progress.js';
import { unionRefunds } from './refunds.js';
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

const unlockOf = (
  clientId: string,
  rule: CatalogRule,
  level: RuleLevel,
  record: UnlockRecord,
): AchievementUnlocked => ({
  type: 'AchievementUnlocked',
  clientId,
  achievementId: level.achievementId,
  ruleId: rule.id,
  ruleVersion: rule.version,
  points: level.points,
  partnerId: level.partner,
  unlockedAt: record.at,
  sourceEventId: record.sourceEventId,
});

const sameEntries = (a: number[] | undefined, b: number[] | undefined) =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((value, i) => value === b![i]);

/**
 * A client's live progress with what a backfill's replay of one rule found in history, as if the rule had been
 * live since the replay began. The rule's counted events and refunds are those of both (live processing has
 * counted, since the activation, events the replay counted too, and may know attributes set before the replay
 * began); unlocks the replay found and live processing had not are added; an unlock live processing made under
 * this version (`earnedLive`: from the events since the activation alone) takes the time and source event the
 * whole history gives it. The client's other rules, newest time and attributes stay live processing's.
 */
export function mergeReplayed(
  clientId: string,
  live: ClientProgress | undefined,
  replayed: ClientProgress,
  rule: CatalogRule,
  earnedLive: ReadonlySet<string>,
): MergedClient {
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
    if (!held) found.push(unlockOf(clientId, rule, level, record));
    else if (
      earnedLive.has(level.achievementId) &&
      (held.at !== record.at || held.sourceEventId !== record.sourceEventId)
    )
      corrected.push(unlockOf(clientId, rule, level, record));
    else continue;
    unlocked[level.achievementId] = record;
  }
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
    transactionsHorizonMs === base.transactionsHorizonMs &&
    eventsHorizonMs === base.eventsHorizonMs
  )
    return { progress: live, found, corrected };
  const rules = entries.length > 0 ? { ...others, [key]: { entries } } : others;
  const progress = { ...base, transactionsHorizonMs, eventsHorizonMs, rules, unlocked, refunds };
  return { progress, found, corrected };
}
