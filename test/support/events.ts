import { eventTimeMs, type InputEvent } from '../../rules/events.js';
import type { ClientEvent, Transaction } from '../../rules/events.js';
import { decide, type AchievementUnlocked } from '../../rules/decide.js';
import { loadCatalog, readRuleFiles } from '../../platform/catalog-files.js';
import type { Catalog } from '../../rules/catalog.js';
import { initialProgress, type ClientProgress } from '../../rules/progress.js';

export const KYIV = 'Europe/Kyiv';
export const catalog = loadCatalog();

/** A default rule's document as its catalog file holds it (not yet validated), for tests that vary it. */
export function ruleDocument(ruleId: string): Record<string, unknown> {
  const found = readRuleFiles().find(({ document }) => (document as { id: string }).id === ruleId);
  if (!found) throw new Error(`no default rule ${ruleId}`);
  return found.document as Record<string, unknown>;
}

let sequence = 0;

/** A CONTRACT transaction of client c-1 with sensible defaults; `time` is required since rules depend on it. */
export function purchase(fields: Partial<Transaction> & { time: string }): InputEvent {
  const transaction: Transaction = {
    id: `tx-${++sequence}`,
    clientId: 'c-1',
    kind: 'purchase',
    amount: 10_000,
    currency: 'UAH',
    categoryId: 5411,
    merchantId: 'm-1',
    geo: { lat: 50.45, lon: 30.52, country: 'UA' },
    originalId: null,
    ...fields,
  };
  return { type: 'TransactionReceived', clientId: transaction.clientId, transaction };
}

/** A refund of `of`: of all of it, or of `amount` (minor units) when given. */
export function refund(of: InputEvent, time: string, amount?: number): InputEvent {
  if (of.type !== 'TransactionReceived') throw new Error('only a transaction can be refunded');
  const { clientId, id } = of.transaction;
  return purchase({
    clientId,
    kind: 'refund',
    originalId: id,
    amount: amount ?? of.transaction.amount,
    time,
  });
}

export function clientEvent(
  type: string,
  time: string,
  attributes: ClientEvent['attributes'] = {},
  clientId = 'c-1',
): InputEvent {
  const event: ClientEvent = { id: `ev-${++sequence}`, clientId, type, time, attributes };
  return { type: 'ClientEventReceived', clientId: event.clientId, event };
}

/** Given these events (in arrival order, over `rules`), the progress they leave and every achievement they unlocked. */
export function given(
  events: InputEvent[],
  from: ClientProgress = initialProgress(),
  rules: Catalog = catalog,
) {
  let progress = from;
  const unlocked: AchievementUnlocked[] = [];
  for (const event of events) {
    const decision = decide(progress, event, rules, KYIV);
    progress = decision.progress;
    unlocked.push(...decision.unlocked);
  }
  return {
    progress,
    unlocked,
    /** When this event arrives, the achievement ids it unlocks. */
    when: (event: InputEvent) => decide(progress, event, rules, KYIV).unlocked.map((u) => u.achievementId),
  };
}

/** `count` days starting at local date `firstDay` (YYYY-MM-DD), at `hour` local (+02:00 winter) time. */
export function days(firstDay: string, count: number, hour = '12:00'): string[] {
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    return `${date}T${hour}:00+02:00`;
  });
}

/** The event time of an event, in ms. */
export const timeOf = eventTimeMs;

/** A first-purchase unlock of `clientId`, as decide() reports one. */
export const firstPurchaseUnlock = (clientId: string): AchievementUnlocked => ({
  type: 'AchievementUnlocked',
  clientId,
  achievementId: 'first-purchase',
  ruleId: 'first-purchase',
  ruleVersion: 1,
  points: 50,
  partnerId: undefined,
  unlockedAt: '2026-11-24T06:15:00.000Z',
  sourceEventId: 'tx-1',
});

/** `count` coffees (MCC 5814) of one client, one a day at 08:00 Kyiv from November `firstDay` on. */
export const dailyCoffees = (clientId: string, count: number, firstDay: number): InputEvent[] =>
  Array.from({ length: count }, (_, i) =>
    purchase({
      id: `${clientId}-coffee-${i}`,
      clientId,
      categoryId: 5814,
      amount: 5_000,
      time: `2026-11-${String(firstDay + i).padStart(2, '0')}T08:00:00+02:00`,
    }),
  );
