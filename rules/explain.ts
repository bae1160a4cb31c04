import type { Catalog } from './catalog.js';
import { decide, type RuleOutcome } from './decide.js';
import { hasKey } from './entries.js';
import type { InputEvent } from './events.js';
import type { Mismatch } from './filters.js';
import { initialProgress, keyOf, LATENESS_MS, type ClientProgress } from './progress.js';

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

const OUTCOME: Record<Exclude<RuleOutcome['outcome'], 'unmatched'>, string> = {
  counted: 'counted',
  repeat: 'a repeat of an event already counted',
  late: `too late: dated more than ${LATENESS_MS / 86_400_000} days before the newest record received before it`,
  refunded: 'its refunds had already taken back all of it',
  settled: 'the achievement was already unlocked',
  'no-value': 'it lacks the field this achievement counts',
};

function idAndTime(event: InputEvent) {
  const source = event.type === 'TransactionReceived' ? event.transaction : event.event;
  return { id: source.id, time: source.time };
}

/** What a refund did to one rule's count: took back from its purchase, waits for it, or changed nothing. */
function refundWhy(
  before: ClientProgress,
  after: ClientProgress,
  ruleId: string,
  refundId: string,
  originalId: string,
) {
  const refundKey = keyOf(refundId);
  const seen = (progress: ClientProgress) =>
    progress.refunds.some((key, i) => i % 4 === 0 && key === refundKey);
  if (seen(before)) return 'a repeat of a refund already counted';
  if (hasKey(before.rules[ruleId]?.entries ?? [], keyOf(originalId))) {
    return `a refund: took back what it covers of purchase ${originalId}`;
  }
  return seen(after)
    ? `a refund of ${originalId}, remembered until that purchase arrives`
    : `a refund of ${originalId}, which had nothing to take back here`;
}

/**
 * Why each of a client's events did or did not count towards one achievement (for disputes: "I should have
 * it"). Replays the events through the same `decide` the engine runs, which reports what each did to the rule.
 */
export function explain(achievementId: string, catalog: Catalog, events: InputEvent[], zone: string) {
  const { rule, level } = catalog.achievements.get(achievementId)!;
  let progress = initialProgress();
  const explained: ExplainedEvent[] = [];
  for (const event of events) {
    const { id, time } = idAndTime(event);
    const before = progress;
    const decision = decide(before, event, catalog, zone, { trace: true });
    progress = decision.progress;
    const note = (counted: boolean, why: string) => explained.push({ id, time, counted, why });
    if (level.achievementId in before.unlocked) note(false, OUTCOME.settled);
    else if (decision.unlocked.some((u) => u.achievementId === achievementId)) {
      note(true, 'counted, and unlocked the achievement');
    } else if (event.type === 'TransactionReceived' && event.transaction.kind === 'refund') {
      note(false, refundWhy(before, progress, rule.id, id, event.transaction.originalId!));
    } else {
      // Every event but a refund is offered to every rule, and the trace says what each did with it.
      const outcome = decision.outcomes!.find((o) => o.rule === rule.id)!;
      if (outcome.outcome === 'unmatched') note(false, MISMATCH[outcome.mismatch]);
      else note(outcome.outcome === 'counted', OUTCOME[outcome.outcome]);
    }
  }
  return explained;
}
