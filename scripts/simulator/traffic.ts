import type { ClientEvent, Transaction } from '../../rules/events.js';

/** A small seeded PRNG (mulberry32), so a workload can be generated again exactly. */
export function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Merchant categories with their share of purchases and a typical amount range in UAH. */
const CATEGORIES = [
  { mcc: 5814, share: 0.22, uah: [45, 160], merchants: 40 }, // coffee shops and fast food
  { mcc: 5411, share: 0.3, uah: [120, 2_500], merchants: 60 }, // groceries
  { mcc: 5812, share: 0.1, uah: [300, 3_000], merchants: 50 }, // restaurants
  { mcc: 5541, share: 0.1, uah: [800, 3_500], merchants: 20 }, // fuel
  { mcc: 5912, share: 0.08, uah: [90, 1_500], merchants: 20 }, // pharmacies
  { mcc: 5691, share: 0.1, uah: [600, 9_000], merchants: 30 }, // clothing
  { mcc: 4111, share: 0.1, uah: [8, 60], merchants: 5 }, // transport
] as const;

const ABROAD = ['PL', 'DE', 'FR', 'IT', 'ES', 'TR', 'GE', 'CZ'] as const;

export type SimulatedRecord =
  { topic: 'transactions'; value: Transaction } | { topic: 'client-events'; value: ClientEvent };

export interface TrafficOptions {
  clients: number;
  seed: number;
  /** Simulated time of the first and last record, ms. */
  startMs: number;
  endMs: number;
  /** How many records the run will produce; spreads them over [startMs, endMs]. */
  total: number;
  /** Picks a record's client from a uniform draw in [0, 1): a few busy clients and many quiet ones unless given. */
  clientAt?: (draw: number) => number;
  /** A record's time by its place `i` in the run, ms: evenly over [startMs, endMs] unless given. */
  timeAt?: (i: number) => number;
}

/**
 * Realistic traffic: a few busy clients and many quiet ones, an MCC mix with typical amounts, trips abroad,
 * refunds of earlier purchases, duplicates (the same record again), transfers, slightly out-of-order times,
 * and profile and contact-sync events. Yields records in production order.
 */
export function* traffic({
  clients,
  seed,
  startMs,
  endMs,
  total,
  clientAt = (draw) => Math.floor(draw ** 2 * clients),
  timeAt = (i) => startMs + i * ((endMs - startMs) / Math.max(1, total)),
}: TrafficOptions): Generator<SimulatedRecord, void> {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const recent: Transaction[] = [];
  let sequence = 0;
  for (let i = 0; i < total; i++) {
    // By default squaring skews activity: low client numbers buy far more often than high ones.
    const clientId = `c-${clientAt(next())}`;
    const timeMs = timeAt(i) - Math.floor(next() * 3) * 60_000;
    const time = new Date(timeMs).toISOString();
    const roll = next();
    if (roll < 0.01 && recent.length > 0) {
      yield { topic: 'transactions', value: pick(recent) };
      continue;
    }
    if (roll < 0.02 && recent.length > 0) {
      const original = pick(recent);
      const refund = {
        ...original,
        id: `tx-${seed}-${++sequence}`,
        kind: 'refund' as const,
        time,
        originalId: original.id,
      };
      yield { topic: 'transactions', value: refund };
      continue;
    }
    if (roll < 0.025) {
      const type = next() < 0.6 ? 'profile.updated' : 'contacts.synced';
      const attributes: Record<string, boolean> =
        type === 'profile.updated' ? { complete: next() < 0.5 } : {};
      yield {
        topic: 'client-events',
        value: { id: `ev-${seed}-${++sequence}`, clientId, type, time, attributes },
      };
      continue;
    }
    let r = next();
    const category = CATEGORIES.find((c) => (r -= c.share) < 0) ?? CATEGORIES[0];
    const country = next() < 0.06 ? pick(ABROAD) : 'UA';
    const tx: Transaction = {
      id: `tx-${seed}-${++sequence}`,
      clientId,
      kind: roll < 0.07 ? 'transfer' : 'purchase',
      amount: Math.round((category.uah[0] + next() * (category.uah[1] - category.uah[0])) * 100),
      currency: country === 'UA' ? 'UAH' : 'EUR',
      time,
      categoryId: category.mcc,
      merchantId: `m-${category.mcc}-${Math.floor(next() * category.merchants)}`,
      geo: { lat: 50.45, lon: 30.52, country },
      originalId: null,
    };
    recent.push(tx);
    if (recent.length > 1_000) recent.shift();
    yield { topic: 'transactions', value: tx };
  }
}
