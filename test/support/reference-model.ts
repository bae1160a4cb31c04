import type { Catalog } from '../../rules/catalog.js';
import type { ClientEvent, InputEvent, Transaction } from '../../rules/events.js';
import type { Rule, RuleFilter, RuleLevel } from '../../rules/rule-schema.js';

/**
 * A small, obviously correct model of CONTRACT §2–§3 and the engine's documented lateness, written apart from
 * rules/ (it shares only the rule documents and event types): it keeps every record a client ever sent and,
 * after each one, measures every rule over all of them from scratch, window by window. Slow, and meant to be.
 */

const DAY_MS = 86_400_000;
/** The approximation the engine documents: a record dated this long before the newest of its topic counts for nothing. */
const LATENESS_MS = 7 * DAY_MS;

interface Counted {
  id: string;
  timeMs: number;
  admitted: boolean;
}
interface KnownTransaction extends Counted {
  tx: Transaction;
}
interface KnownClientEvent extends Counted {
  event: ClientEvent;
}
interface KnownRefund {
  originalId: string;
  amount: number;
  timeMs: number;
}

export interface ModelUnlock {
  achievementId: string;
  unlockedAt: string;
  sourceEventId: string;
  /** Which earning of a repeating achievement: its period or its count. */
  occurrence?: string;
  /** The level's points, or what its rule's cap left of them. */
  points: number;
}

/** A counted item of one rule: its time, what is left of its amount, and the value a distinct count keeps. */
interface Item {
  timeMs: number;
  remaining: number;
  value: string;
}

const dates = new Map<string, { year: number; month: number; day: number }>();

/** The local calendar date of an instant, asked of Intl (remembered: the model asks the same ones often). */
function localDate(timeMs: number, zone: string) {
  const known = dates.get(`${zone} ${timeMs}`);
  if (known) return known;
  const text = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(timeMs);
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  const date = { year, month, day: Date.UTC(year, month - 1, day) / DAY_MS };
  dates.set(`${zone} ${timeMs}`, date);
  return date;
}

/** A period as people write it, from the local date: 2026-W47 (ISO week-year), 2026-11, 2026-Q4, 2026. */
function periodLabelOf(timeMs: number, unit: 'week' | 'month' | 'quarter' | 'year', zone: string): string {
  const { year, month, day } = localDate(timeMs, zone);
  if (unit === 'year') return String(year);
  if (unit === 'quarter') return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
  if (unit === 'month') return `${year}-${String(month).padStart(2, '0')}`;
  const date = new Date(day * DAY_MS);
  const thursday = day + 3 - ((date.getUTCDay() + 6) % 7);
  const weekYear = new Date(thursday * DAY_MS).getUTCFullYear();
  const week = Math.floor((thursday * DAY_MS - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${weekYear}-W${String(week).padStart(2, '0')}`;
}

function periodOf(timeMs: number, unit: 'day' | 'week' | 'month' | 'quarter' | 'year', zone: string): number {
  const date = localDate(timeMs, zone);
  if (unit === 'year') return date.year;
  if (unit === 'quarter') return date.year * 4 + Math.floor((date.month - 1) / 3);
  if (unit === 'month') return date.year * 12 + date.month;
  if (unit === 'day') return date.day;
  // 1970-01-01 was a Thursday: the Monday of a day's week is (day + 3) mod 7 days before it.
  return date.day - ((((date.day + 3) % 7) + 7) % 7);
}

function measure(rule: Rule, items: Item[]): number {
  const live = items.filter((item) => item.remaining > 0);
  switch (rule.measure.type) {
    case 'sum':
      return items.reduce((total, item) => total + item.remaining, 0);
    case 'distinct':
      return new Set(live.map((item) => item.value)).size;
    default:
      return live.length;
  }
}

/** The earliest item time at which `inWindow(t)` holds items measuring `target` or more. */
function earliest(
  rule: Rule,
  items: Item[],
  target: number,
  inWindow: (t: number) => Item[],
): number | undefined {
  const times = [...new Set(items.map((item) => item.timeMs))].sort((a, b) => a - b);
  return times.find((t) => measure(rule, inWindow(t)) >= target);
}

function reachedAt(rule: Rule, items: Item[], target: number, zone: string): number | undefined {
  if (rule.measure.type === 'streak') {
    const live = items.filter((item) => item.remaining > 0);
    const days = new Set(live.map((item) => localDate(item.timeMs, zone).day));
    const complete = [...days]
      .sort((a, b) => a - b)
      .find((day) => Array.from({ length: target }, (_, i) => day - i).every((d) => days.has(d)));
    if (complete === undefined) return undefined;
    return Math.min(...live.filter((i) => localDate(i.timeMs, zone).day === complete).map((i) => i.timeMs));
  }
  const { window } = rule;
  switch (window.type) {
    case 'lifetime':
      return earliest(rule, items, target, (t) => items.filter((item) => item.timeMs <= t));
    case 'rolling':
      return earliest(rule, items, target, (t) =>
        items.filter((item) => item.timeMs >= t - window.duration && item.timeMs <= t),
      );
    case 'calendar':
      return earliest(rule, items, target, (t) =>
        items.filter(
          (item) =>
            item.timeMs <= t && periodOf(item.timeMs, window.unit, zone) === periodOf(t, window.unit, zone),
        ),
      );
  }
}

/** The weekday ("mon" … "sun") and wall-clock minute of an instant in the zone, asked of Intl. */
function localClock(timeMs: number, zone: string) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(timeMs);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return {
    weekday: part('weekday').toLowerCase(),
    minute: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

function inSchedule(rule: Rule, timeMs: number, zone: string): boolean {
  const s = rule.schedule;
  if (!s) return true;
  if (s.startsAt && timeMs < Date.parse(s.startsAt)) return false;
  if (s.endsAt && timeMs >= Date.parse(s.endsAt)) return false;
  const { weekday, minute } = localClock(timeMs, zone);
  if (s.days && !(s.days as string[]).includes(weekday)) return false;
  if (!s.hours) return true;
  const { from, to } = s.hours;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** A filter over a transaction: each field it names holds, its `not` does not, one of `any` and all of `all` do. */
function transactionFilterHolds(f: RuleFilter, tx: Transaction): boolean {
  return (
    (!f.kinds || (f.kinds as string[]).includes(tx.kind)) &&
    (!f.categoryIds || f.categoryIds.includes(tx.categoryId)) &&
    (!f.merchantIds || f.merchantIds.includes(tx.merchantId)) &&
    (!f.currencies || f.currencies.includes(tx.currency)) &&
    (!f.countries || (tx.geo != null && f.countries.includes(tx.geo.country))) &&
    (f.amount?.min === undefined || tx.amount >= f.amount.min) &&
    (f.amount?.max === undefined || tx.amount <= f.amount.max) &&
    (!f.not || !transactionFilterHolds(f.not, tx)) &&
    (!f.any || f.any.some((one) => transactionFilterHolds(one, tx))) &&
    (!f.all || f.all.every((one) => transactionFilterHolds(one, tx)))
  );
}

function eventFilterHolds(f: RuleFilter, event: ClientEvent): boolean {
  return (
    Object.entries(f.attributes ?? {}).every(([name, value]) => event.attributes[name] === value) &&
    (!f.not || !eventFilterHolds(f.not, event)) &&
    (!f.any || f.any.some((one) => eventFilterHolds(one, event))) &&
    (!f.all || f.all.every((one) => eventFilterHolds(one, event)))
  );
}

function matchesTransaction(rule: Rule, tx: Transaction, zone: string): boolean {
  if (rule.trigger.on !== 'transaction' || tx.kind === 'refund') return false;
  if (!rule.filter.kinds && tx.kind !== 'purchase') return false;
  return transactionFilterHolds(rule.filter, tx) && inSchedule(rule, Date.parse(tx.time), zone);
}

function matchesClientEvent(rule: Rule, event: ClientEvent, zone: string): boolean {
  if (rule.trigger.on !== 'client-event' || rule.trigger.type !== event.type) return false;
  return eventFilterHolds(rule.filter, event) && inSchedule(rule, Date.parse(event.time), zone);
}

function distinctValue(rule: Rule, tx: Transaction): string | undefined {
  if (rule.measure.type !== 'distinct') return '';
  const field = rule.measure.field;
  return field === 'country' ? tx.geo?.country : field === 'categoryId' ? String(tx.categoryId) : tx[field];
}

/**
 * A record whose id the model saw before the engine's memory of ids reaches (README, "What support can tell a
 * client"): the engine may count it where the model, which remembers every id, does not. Histories that
 * make one are compared up to it.
 */
export class BeyondIdMemory extends Error {
  constructor(readonly id: string) {
    super(`${id} was seen more than 7 days of the client's event time before this copy`);
    this.name = 'BeyondIdMemory';
  }
}

/** One client's history, replayed by brute force. */
export class ReferenceModel {
  /** The newest time of each input topic's records: transactions, client events. */
  private readonly horizons = { transactions: 0, clientEvents: 0 };
  /** Each id a topic carried: the record, and the topic's horizon once it had arrived. */
  private readonly firstSeen = {
    transactions: new Map<string, { record: string; horizonMs: number }>(),
    clientEvents: new Map<string, { record: string; horizonMs: number }>(),
  };
  private readonly transactions = new Map<string, KnownTransaction>();
  private readonly clientEvents = new Map<string, KnownClientEvent>();
  private readonly refunds = new Map<string, KnownRefund>();
  private readonly unlocked = new Map<string, ModelUnlock>();
  /** When each repeating achievement was last earned: the time a composite counts it held from. */
  private readonly latestEarning = new Map<string, number>();
  /** When each repeating achievement was first earned: the time a follow-up of it counts from. */
  private readonly firstEarning = new Map<string, number>();

  constructor(
    private readonly catalog: Catalog,
    private readonly zone: string,
  ) {}

  /**
   * Receives one record and answers what it unlocked. The same id counts once, whatever the copy carries: a
   * record whose id its topic carried before changes nothing (CONTRACT §2).
   */
  receive(event: InputEvent): ModelUnlock[] {
    const source = event.type === 'TransactionReceived' ? event.transaction : event.event;
    const timeMs = Date.parse(source.time);
    const topic = event.type === 'TransactionReceived' ? 'transactions' : 'clientEvents';
    const record = JSON.stringify(source);
    const first = this.firstSeen[topic].get(source.id);
    if (first && first.horizonMs >= this.horizons[topic] - LATENESS_MS) return [];
    // A copy the engine no longer remembers: an exact one is judged as any late record; another, the model
    // cannot judge as the engine does.
    if (first && first.record !== record) throw new BeyondIdMemory(source.id);
    this.horizons[topic] = Math.max(this.horizons[topic], timeMs);
    this.firstSeen[topic].set(source.id, { record, horizonMs: this.horizons[topic] });
    const floor = this.horizons[topic] - LATENESS_MS;
    const transactionsFloor = this.horizons.transactions - LATENESS_MS;
    const purchaseKnown = (id: string) => this.transactions.get(id)?.tx.kind === 'purchase';
    // A refund still waiting for its purchase is forgotten once dated too long ago; it leaves no trace.
    for (const [id, refund] of this.refunds) {
      if (!purchaseKnown(refund.originalId) && refund.timeMs < transactionsFloor) this.refunds.delete(id);
    }
    const known = { id: source.id, timeMs, admitted: timeMs >= floor };
    if (event.type === 'ClientEventReceived') {
      if (!this.clientEvents.has(source.id))
        this.clientEvents.set(source.id, { ...known, event: event.event });
    } else if (event.transaction.kind === 'refund') {
      const tx = event.transaction;
      if (!this.refunds.has(tx.id) && (purchaseKnown(tx.originalId!) || timeMs >= floor)) {
        this.refunds.set(tx.id, { originalId: tx.originalId!, amount: tx.amount, timeMs });
      }
    } else if (!this.transactions.has(source.id)) {
      this.transactions.set(source.id, { ...known, tx: event.transaction });
    }
    return this.unlockAll(source.id, timeMs);
  }

  /** What is left of a transaction's amount after the refunds that reach it. */
  private remaining(known: KnownTransaction): number {
    if (known.tx.kind !== 'purchase') return known.tx.amount;
    let refunded = 0;
    for (const refund of this.refunds.values()) if (refund.originalId === known.id) refunded += refund.amount;
    return Math.max(0, known.tx.amount - refunded);
  }

  /**
   * The items a rule measures: a follow-up's only those dated from the time the client came to hold the
   * achievement it follows (unlocked, or first earned), and none while the client does not hold it.
   */
  private itemsOf(rule: Rule): Item[] {
    if (!rule.after) return this.allItemsOf(rule);
    const once = this.unlocked.get(rule.after.achievement);
    const from = once ? Date.parse(once.unlockedAt) : this.firstEarning.get(rule.after.achievement);
    return from === undefined ? [] : this.allItemsOf(rule).filter((item) => item.timeMs >= from);
  }

  private allItemsOf(rule: Rule): Item[] {
    const items: Item[] = [];
    for (const known of this.transactions.values()) {
      const value = distinctValue(rule, known.tx);
      if (!known.admitted || !matchesTransaction(rule, known.tx, this.zone) || value === undefined) continue;
      items.push({ timeMs: known.timeMs, remaining: this.remaining(known), value });
    }
    for (const known of this.clientEvents.values()) {
      if (known.admitted && matchesClientEvent(rule, known.event, this.zone)) {
        items.push({ timeMs: known.timeMs, remaining: 1, value: '' });
      }
    }
    return items;
  }

  /**
   * The earnings of a repeating level the records now reach: each calendar period whose items reach the
   * target (once each), or each further multiple of the target the lifetime measure reaches.
   */
  private earnAgain(rule: Rule, level: RuleLevel, items: Item[], sourceEventId: string): ModelUnlock[] {
    const every = rule.repeat!.every;
    const earned: ModelUnlock[] = [];
    const earn = (occurrence: string, at: number) => {
      this.latestEarning.set(level.achievementId, at);
      if (!this.firstEarning.has(level.achievementId)) this.firstEarning.set(level.achievementId, at);
      const unlock = {
        achievementId: level.achievementId,
        unlockedAt: new Date(at).toISOString(),
        sourceEventId,
        occurrence,
        points: level.points,
      };
      this.unlocked.set(`${level.achievementId}@${occurrence}`, unlock);
      earned.push(unlock);
    };
    if (every === 'target') {
      for (let times = this.timesEarned(level.achievementId) + 1; ; times++) {
        const at = reachedAt(rule, items, times * level.target, this.zone);
        if (at === undefined) break;
        earn(String(times), at);
      }
      return earned;
    }
    const periods = new Map<string, Item[]>();
    for (const item of items) {
      const label = periodLabelOf(item.timeMs, every, this.zone);
      periods.set(label, [...(periods.get(label) ?? []), item]);
    }
    // In time order (labels of one unit sort so): a follow-up may reach several periods on one record.
    for (const [label, ofPeriod] of [...periods].sort(([a], [b]) => a.localeCompare(b))) {
      if (this.unlocked.has(`${level.achievementId}@${label}`)) continue;
      const at = reachedAt(rule, ofPeriod, level.target, this.zone);
      if (at !== undefined) earn(label, at);
    }
    return earned;
  }

  private timesEarned(achievementId: string): number {
    return [...this.unlocked.keys()].filter((key) => key.startsWith(`${achievementId}@`)).length;
  }

  /** When the client came to hold an achievement: its unlock, or a repeating one's latest earning. */
  private heldSince(achievementId: string): number | undefined {
    const once = this.unlocked.get(achievementId);
    return once ? Date.parse(once.unlockedAt) : this.latestEarning.get(achievementId);
  }

  /** Composites whose achievements the client now holds enough of, until none more unlocks. */
  private unlockComposites(sourceEventId: string): ModelUnlock[] {
    const unlocks: ModelUnlock[] = [];
    for (let more = true; more;) {
      more = false;
      for (const rule of this.catalog.rules) {
        if (rule.trigger.on !== 'achievements') continue;
        const held = rule.trigger.of
          .map((id) => this.heldSince(id))
          .filter((at): at is number => at !== undefined)
          .sort((a, b) => a - b);
        for (const level of rule.levels) {
          if (this.unlocked.has(level.achievementId) || held.length < level.target) continue;
          const unlock = {
            achievementId: level.achievementId,
            unlockedAt: new Date(held[level.target - 1]!).toISOString(),
            sourceEventId,
            points: level.points,
          };
          this.unlocked.set(level.achievementId, unlock);
          unlocks.push(unlock);
          more = true;
        }
      }
    }
    return unlocks;
  }

  /** Every rule measured from scratch, composites after them, again while one unlocks (a follow-up may then count). */
  private unlockAll(sourceEventId: string, recordTimeMs: number): ModelUnlock[] {
    const unlocks: ModelUnlock[] = [];
    for (let more = true; more;) {
      const found = [...this.unlockRules(sourceEventId), ...this.unlockComposites(sourceEventId)];
      unlocks.push(...found);
      more = found.length > 0;
    }
    return this.capped(unlocks, recordTimeMs);
  }

  private unlockRules(sourceEventId: string): ModelUnlock[] {
    const unlocks: ModelUnlock[] = [];
    for (const rule of this.catalog.rules) {
      const items = this.itemsOf(rule);
      for (const level of rule.levels) {
        if (rule.repeat) {
          unlocks.push(...this.earnAgain(rule, level, items, sourceEventId));
          continue;
        }
        if (this.unlocked.has(level.achievementId)) continue;
        const at = reachedAt(rule, items, level.target, this.zone);
        if (at === undefined) continue;
        const unlock = {
          achievementId: level.achievementId,
          unlockedAt: new Date(at).toISOString(),
          sourceEventId,
          points: level.points,
        };
        this.unlocked.set(level.achievementId, unlock);
        unlocks.push(unlock);
      }
    }
    return unlocks;
  }

  /** Points each cap's group has granted, by period: `<group>:<unit>:<period>`. */
  private readonly spent = new Map<string, number>();

  /** The unlocks with what their caps leave of their points, in the order they came, in the record's period. */
  private capped(unlocks: ModelUnlock[], recordTimeMs: number): ModelUnlock[] {
    return unlocks.map((unlock) => {
      const rule = this.catalog.achievements.get(unlock.achievementId)!.rule;
      if (!rule.cap) return unlock;
      const key = `${rule.cap.group ?? rule.id}:${rule.cap.per}:${periodOf(recordTimeMs, rule.cap.per, this.zone)}`;
      const spent = this.spent.get(key) ?? 0;
      const points = Math.max(0, Math.min(unlock.points, rule.cap.points - spent));
      this.spent.set(key, spent + points);
      return { ...unlock, points };
    });
  }
}
