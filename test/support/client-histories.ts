import fc from 'fast-check';
import type { InputEvent, Transaction } from '../../rules/events.js';

const DAY = 86_400_000;

/** Times around the hard parts: both daylight-saving changes in Kyiv, a month end and a year end. */
const ANCHORS = [
  '2026-03-26T00:00:00+02:00',
  '2026-10-22T00:00:00+03:00',
  '2026-06-27T00:00:00+03:00',
  '2025-12-27T00:00:00+02:00',
].map(Date.parse);

const purchaseSpec = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  onMidnight: fc.boolean(),
  kind: fc.constantFrom<Transaction['kind']>('purchase', 'purchase', 'purchase', 'purchase', 'transfer'),
  amount: fc.constantFrom(1, 100, 4_550, 99_999, 400_000, 1_500_000, 5_000_000),
  currency: fc.constantFrom('UAH', 'UAH', 'USD'),
  categoryId: fc.constantFrom(5814, 5814, 5411, 4111),
  merchantId: fc.constantFrom('m-1', 'm-2', 'm-3'),
  country: fc.constantFrom('UA', 'UA', 'PL', 'DE', 'US', undefined),
});

const refundSpec = fc.record({
  of: fc.nat(),
  ghost: fc.boolean(),
  share: fc.constantFrom(0.001, 0.5, 1, 1, 1.7),
  // Mostly after the purchase; sometimes dated before it, as bad data can be.
  delayMs: fc.oneof(fc.integer({ min: 0, max: 10 * DAY }), fc.integer({ min: -10 * DAY, max: 0 })),
});

const eventSpec = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  type: fc.constantFrom('profile.updated', 'contacts.synced', 'attributes.updated'),
  value: fc.boolean(),
});

/** How long after it happened a record arrives: mostly soon, sometimes days, sometimes past the lateness. */
const delay = fc.oneof(
  { weight: 7, arbitrary: fc.integer({ min: 0, max: 3_600_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 * DAY }) },
  { weight: 1, arbitrary: fc.integer({ min: 5 * DAY, max: 12 * DAY }) },
);

/** A run of purchases a day apart (a streak in the making), with at most one day left out. */
const runSpec = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  days: fc.integer({ min: 2, max: 9 }),
  minuteOfDay: fc.integer({ min: 0, max: 1_439 }),
  skip: fc.option(fc.nat(8), { nil: undefined }),
});

/** A copy of a record under the same id, carrying something else (CONTRACT §2: it counts once all the same). */
const variantSpec = fc.record({
  of: fc.nat(),
  after: fc.nat(2),
  change: fc.constantFrom('amount', 'currency', 'category', 'kind', 'later', 'earlier'),
});

/** One client's history: purchases, runs of days, refunds, app events, arrival delays, repeats and variants. */
export const scenario = fc.record({
  anchor: fc.constantFrom(...ANCHORS),
  span: fc.constantFrom(3 * DAY, 20 * DAY, 120 * DAY, 500 * DAY),
  purchases: fc.array(purchaseSpec, { minLength: 1, maxLength: 24 }),
  runs: fc.array(runSpec, { maxLength: 2 }),
  refunds: fc.array(refundSpec, { maxLength: 8 }),
  events: fc.array(eventSpec, { maxLength: 4 }),
  delays: fc.array(delay, { minLength: 40, maxLength: 40 }),
  repeats: fc.array(fc.record({ of: fc.nat(), after: fc.nat() }), { maxLength: 6 }),
  variants: fc.array(variantSpec, { maxLength: 4 }),
});

export type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function attributesOf(event: Scenario['events'][number]): Record<string, string | boolean> {
  return event.type === 'attributes.updated'
    ? { cardProduct: event.value ? 'gold' : 'silver' }
    : { complete: event.value };
}

const shifted = (time: string, byMs: number) => new Date(Date.parse(time) + byMs).toISOString();

/** The record under the same id with one thing changed. */
function variantOf(event: InputEvent, change: Scenario['variants'][number]['change']): InputEvent {
  const byMs = change === 'later' ? 9 * DAY : change === 'earlier' ? -9 * DAY : 0;
  if (event.type === 'ClientEventReceived') {
    const attributes = byMs === 0 ? { complete: true, cardProduct: 'gold' } : event.event.attributes;
    return { ...event, event: { ...event.event, time: shifted(event.event.time, byMs), attributes } };
  }
  const tx = event.transaction;
  const changed: Transaction =
    change === 'amount'
      ? { ...tx, amount: tx.amount * 3 }
      : change === 'currency'
        ? { ...tx, currency: tx.currency === 'UAH' ? 'EUR' : 'UAH' }
        : change === 'category'
          ? { ...tx, categoryId: tx.categoryId === 5814 ? 5411 : 5814 }
          : change === 'kind' && tx.kind !== 'refund'
            ? { ...tx, kind: tx.kind === 'purchase' ? 'transfer' : 'purchase' }
            : { ...tx, time: shifted(tx.time, byMs) };
  return { ...event, transaction: changed };
}

/** A client's records in arrival order: purchases, transfers, refunds, app events, repeats and variants. */
export function arrivals(s: Scenario): InputEvent[] {
  const minute = (ms: number) => Math.round(ms / 60_000) * 60_000;
  const dayStart = (ms: number) => Date.parse(new Date(ms).toISOString().slice(0, 10) + 'T00:00:00+02:00');
  const daily = s.runs.flatMap((run) =>
    Array.from({ length: run.days }, (_, day) => day)
      .filter((day) => day !== run.skip)
      .map((day) => ({
        ...s.purchases[0]!,
        at: run.at + (day * DAY + run.minuteOfDay * 60_000) / s.span,
        onMidnight: false,
        kind: 'purchase' as const,
      })),
  );
  const purchases = [...s.purchases, ...daily].map((p, i): Transaction => {
    const raw = s.anchor + p.at * s.span;
    return {
      id: `p-${i}`,
      clientId: 'c-1',
      kind: p.kind,
      amount: p.amount,
      currency: p.currency,
      time: new Date(p.onMidnight ? dayStart(raw) : minute(raw)).toISOString(),
      categoryId: p.categoryId,
      merchantId: p.merchantId,
      geo: p.country ? { lat: 0, lon: 0, country: p.country } : null,
      originalId: null,
    };
  });
  const refunds = s.refunds.map((r, i): Transaction => {
    const of = purchases[r.of % purchases.length]!;
    return {
      ...of,
      id: `r-${i}`,
      kind: 'refund',
      amount: Math.max(1, Math.round(of.amount * r.share)),
      time: new Date(Date.parse(of.time) + r.delayMs).toISOString(),
      originalId: r.ghost ? `ghost-${i}` : of.id,
    };
  });
  const all: InputEvent[] = [
    ...[...purchases, ...refunds].map((transaction) => ({
      type: 'TransactionReceived' as const,
      clientId: 'c-1',
      transaction,
    })),
    ...s.events.map((e, i) => ({
      type: 'ClientEventReceived' as const,
      clientId: 'c-1',
      event: {
        id: `e-${i}`,
        clientId: 'c-1',
        type: e.type,
        time: new Date(minute(s.anchor + e.at * s.span)).toISOString(),
        attributes: attributesOf(e),
      },
    })),
  ];
  const timeOf = (e: InputEvent) =>
    Date.parse(e.type === 'TransactionReceived' ? e.transaction.time : e.event.time);
  const ordered = all
    .map((event, i) => ({ event, arrivesAt: timeOf(event) + s.delays[i % s.delays.length]! }))
    .sort((a, b) => a.arrivesAt - b.arrivesAt)
    .map(({ event }) => event);
  for (const repeat of s.repeats) {
    const original = repeat.of % ordered.length;
    const at = original + 1 + (repeat.after % (ordered.length - original));
    ordered.splice(at, 0, ordered[original]!);
  }
  for (const variant of s.variants) {
    const original = variant.of % ordered.length;
    const at = Math.min(ordered.length, original + 1 + variant.after);
    ordered.splice(at, 0, variantOf(ordered[original]!, variant.change));
  }
  return ordered;
}
