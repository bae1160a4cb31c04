import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivals, scenario } from '../test/support/client-histories.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { currentCaps } from './caps.js';
import { isComposite } from './composites.js';
import { decide, type AchievementUnlocked } from './decide.js';
import type { InputEvent } from './events.js';
import { startsOnOtherTopic } from './follow-ups.js';
import { initialProgress } from './progress.js';

const SEED = Number(process.env.RULES_SEED ?? 20261201);
const RUNS = Number(process.env.RULES_RUNS ?? 1_000);
const ZONE = 'Europe/Kyiv';
const catalog = wideCatalog();

/**
 * A composite unlocks on the record whose arrival makes the client hold enough, at the time it came to hold the
 * last one needed of those held then: when it names achievements of both topics, that record and that time
 * depend on the order across them (README, "What support can tell a client"). Whether it unlocks does not.
 */
const composites = new Set(
  catalog.rules.filter(isComposite).flatMap((rule) => rule.levels.map((l) => l.achievementId)),
);
const ORDER_DEPENDENT = '(the order across topics)';

/**
 * A follow-up counts the events dated from when the client came to hold its prerequisite. When that comes on a
 * record of the other topic, which of its own records had arrived by then depends on the order across them:
 * so does the record it unlocks on, the time (the earliest window then reached), and, when a refund lands
 * between, whether it unlocks (a refund that arrived before the follow-up began takes back what it covers
 * before it counts, as one before its purchase does). Without refunds whether it unlocks does not depend on
 * the order, and is compared; its kept events, which it forgets at its start, are not.
 */
const otherTopicFollowUps = catalog.rules.filter((rule) => startsOnOtherTopic(catalog, rule));
const followingOtherTopic = new Set(
  otherTopicFollowUps.flatMap((rule) => rule.levels.map((l) => l.achievementId)),
);
const otherTopicKeys = new Set(otherTopicFollowUps.map((rule) => rule.progressKey));

/** An unlock as compared: undefined when it is not (see above). */
function compared<T extends object>(id: string, unlock: T, refunds: boolean): T | undefined {
  if (followingOtherTopic.has(id) && refunds) return undefined;
  return followingOtherTopic.has(id) || composites.has(id)
    ? {
        ...unlock,
        sourceEventId: ORDER_DEPENDENT,
        ...('at' in unlock ? { at: ORDER_DEPENDENT } : { unlockedAt: ORDER_DEPENDENT }),
      }
    : unlock;
}

function run(events: InputEvent[]) {
  let progress = initialProgress();
  const unlocked: AchievementUnlocked[] = [];
  for (const event of events) {
    const decision = decide(progress, event, catalog, ZONE);
    progress = decision.progress;
    unlocked.push(...decision.unlocked);
  }
  const refunds = events.some((e) => e.type === 'TransactionReceived' && e.transaction.kind === 'refund');
  return {
    progress: {
      ...progress,
      ...(progress.caps ? { caps: currentCaps(progress, ZONE) } : {}),
      rules: Object.fromEntries(Object.entries(progress.rules).filter(([key]) => !otherTopicKeys.has(key))),
      unlocked: Object.fromEntries(
        Object.entries(progress.unlocked).flatMap(([id, unlock]) => {
          const kept = compared(id, unlock, refunds);
          return kept ? [[id, kept]] : [];
        }),
      ),
    },
    unlocked: unlocked
      .flatMap((unlock) => compared(unlock.achievementId, unlock, refunds) ?? [])
      .sort((a, b) => a.achievementId.localeCompare(b.achievementId)),
  };
}

/** The two topics' records merged by `takeTransaction` (one choice per record), each topic's order kept. */
function interleave(transactions: InputEvent[], clientEvents: InputEvent[], takeTransaction: boolean[]) {
  const merged: InputEvent[] = [];
  let [t, e] = [0, 0];
  for (const choice of takeTransaction) {
    if ((choice && t < transactions.length) || e >= clientEvents.length) merged.push(transactions[t++]!);
    else merged.push(clientEvents[e++]!);
  }
  return merged;
}

describe('decide() whatever the order across the two input topics (fast-check)', () => {
  // Live processing keeps each partition's order, not the order between the transactions and client-events
  // topics; a backfill replays them in the order the bank wrote them. Both must count the same. A few seconds
  // of fast-check runs alone; the limit is for a machine busy with the integration tests beside it.
  it('unlocks the same achievements, at the same times, and leaves the same progress', () => {
    const histories = scenario.chain((s) => {
      const records = arrivals(s);
      return fc
        .array(fc.boolean(), { minLength: records.length, maxLength: records.length })
        .map((takeTransaction) => ({ records, takeTransaction }));
    });
    let reordered = 0;
    fc.assert(
      fc.property(histories, ({ records, takeTransaction }) => {
        const transactions = records.filter((r) => r.type === 'TransactionReceived');
        const clientEvents = records.filter((r) => r.type === 'ClientEventReceived');
        const other = interleave(transactions, clientEvents, takeTransaction);
        if (other.some((record, i) => record !== records[i])) reordered++;
        expect(run(other)).toEqual(run(records));
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(
      `topic interleaving property test: seed ${SEED}, ${reordered} of ${RUNS} histories reordered`,
    );
    expect(reordered).toBeGreaterThan(RUNS / 4);
  }, 60_000);
});
