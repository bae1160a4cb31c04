import type { InputEvent } from './decode.js';
import type { Catalog } from './catalog.js';
import { decide } from './decide.js';
import { clientEventMismatch, transactionMismatch, type Mismatch } from './filters.js';
import { entriesOf } from './measures.js';
import { initialProgress, keyOf, type ClientProgress } from './progress.js';

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
};

function idAndTime(event: InputEvent) {
  const source = event.type === 'TransactionReceived' ? event.transaction : event.event;
  return { id: source.id, time: source.time };
}

function hasEntry(progress: ClientProgress, ruleId: string, key: number): boolean {
  const rule = progress.rules[ruleId];
  return rule !== undefined && entriesOf(rule).some((entry) => entry.key === key);
}

/**
 * Why each of a client's events did or did not count towards one achievement (for disputes: "I should have
 * it"). Replays the events through the same `decide` the engine runs and compares the rule's progress before
 * and after each one.
 */
export function explain(achievementId: string, catalog: Catalog, events: InputEvent[], zone: string) {
  const { rule, level } = catalog.achievements.get(achievementId)!;
  let progress = initialProgress();
  const explained: ExplainedEvent[] = [];
  for (const event of events) {
    const { id, time } = idAndTime(event);
    const before = progress;
    const decision = decide(before, event, catalog, zone);
    progress = decision.progress;
    const note = (counted: boolean, why: string) => explained.push({ id, time, counted, why });
    if (decision.unlocked.some((u) => u.achievementId === achievementId)) {
      note(true, 'counted, and unlocked the achievement');
      continue;
    }
    if (event.type === 'TransactionReceived' && event.transaction.kind === 'refund') {
      const original = event.transaction.originalId!;
      const tookBack =
        hasEntry(before, rule.id, keyOf(original)) && !hasEntry(progress, rule.id, keyOf(original));
      note(
        false,
        tookBack
          ? `a refund: took back purchase ${original}`
          : `a refund of ${original}, which had nothing to take back here`,
      );
      continue;
    }
    const mismatch =
      event.type === 'TransactionReceived'
        ? transactionMismatch(rule, event.transaction)
        : clientEventMismatch(rule, event.event);
    if (mismatch) note(false, MISMATCH[mismatch]);
    else if (level.achievementId in before.unlocked) note(false, 'the achievement was already unlocked');
    else if (progress.rules[rule.id] !== before.rules[rule.id]) note(true, 'counted');
    else if (before.refunded.includes(keyOf(id))) note(false, 'its refund had arrived before it');
    else if (hasEntry(before, rule.id, keyOf(id))) note(false, 'a repeat of an event already counted');
    else note(false, 'too late for its window: the window it belongs to had closed');
  }
  return explained;
}
