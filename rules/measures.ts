import type { Entry } from './entries.js';
import type { Transaction } from './events.js';
import { keyOf } from './progress.js';
import type { RuleMeasure } from './rule-schema.js';

/** A measure kept up to date as entries enter and leave a window, in any order. */
export interface Running {
  add(entry: Entry): void;
  remove(entry: Entry): void;
  value(): number;
}

/** What a measure keeps of a counted event and how it adds them up. One per measure type. */
export interface MeasureKind {
  /** What a matching transaction keeps besides its key, time and amount; undefined when it cannot count. */
  valueOf(tx: Transaction): number | undefined;
  running(): Running;
}

/**
 * The running measures are classes, not objects of closures: one is made for every rule an event counts
 * towards, and a class instance is one allocation where three closures and their object were four (and under
 * tsx each closure was also renamed with a property definition at every creation).
 */

/** Counts the events whose amount is not all refunded (also `first`, whose target is 1, and a streak's days). */
class RunningCount implements Running {
  private count = 0;
  add(entry: Entry) {
    if (entry.remaining > 0) this.count++;
  }
  remove(entry: Entry) {
    if (entry.remaining > 0) this.count--;
  }
  value() {
    return this.count;
  }
}

/** Sums what refunds left of each amount. */
class RunningSum implements Running {
  private sum = 0;
  add(entry: Entry) {
    this.sum += entry.remaining;
  }
  remove(entry: Entry) {
    this.sum -= entry.remaining;
  }
  value() {
    return this.sum;
  }
}

/** Counts the distinct values among events not all refunded: a value stays while one such event of it remains. */
class RunningDistinct implements Running {
  private readonly events = new Map<number, number>();
  add(entry: Entry) {
    if (entry.remaining > 0) this.events.set(entry.value, (this.events.get(entry.value) ?? 0) + 1);
  }
  remove(entry: Entry) {
    if (entry.remaining <= 0) return;
    const left = this.events.get(entry.value)! - 1;
    if (left === 0) this.events.delete(entry.value);
    else this.events.set(entry.value, left);
  }
  value() {
    return this.events.size;
  }
}

const noValue = () => 0;
const counting: MeasureKind = { valueOf: noValue, running: () => new RunningCount() };
const summing: MeasureKind = { valueOf: noValue, running: () => new RunningSum() };

function distinctOf(field: 'country' | 'merchantId' | 'categoryId' | 'currency'): MeasureKind {
  const read = (tx: Transaction) =>
    field === 'country' ? tx.geo?.country : field === 'categoryId' ? String(tx.categoryId) : tx[field];
  return {
    valueOf: (tx) => {
      const value = read(tx);
      return value === undefined ? undefined : keyOf(value);
    },
    running: () => new RunningDistinct(),
  };
}

/** One per distinct field, made once: asked for on every event a rule counts. */
const distinct = new Map<string, MeasureKind>();

export function measureKind(measure: RuleMeasure): MeasureKind {
  switch (measure.type) {
    case 'first':
    case 'count':
    case 'streak':
      return counting;
    case 'sum':
      return summing;
    case 'distinct': {
      let kind = distinct.get(measure.field);
      if (!kind) distinct.set(measure.field, (kind = distinctOf(measure.field)));
      return kind;
    }
  }
}
