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

/** Counts the events whose amount is not all refunded (also `first`, whose target is 1, and a streak's days). */
const counting: MeasureKind = {
  valueOf: () => 0,
  running: () => {
    let count = 0;
    return {
      add: (entry) => void (count += entry.remaining > 0 ? 1 : 0),
      remove: (entry) => void (count -= entry.remaining > 0 ? 1 : 0),
      value: () => count,
    };
  },
};

/** Sums what refunds left of each amount. */
const summing: MeasureKind = {
  valueOf: () => 0,
  running: () => {
    let sum = 0;
    return {
      add: (entry) => void (sum += entry.remaining),
      remove: (entry) => void (sum -= entry.remaining),
      value: () => sum,
    };
  },
};

/** Counts the distinct values among events not all refunded: a value stays while one such event of it remains. */
function distinctOf(field: 'country' | 'merchantId' | 'categoryId' | 'currency'): MeasureKind {
  const read = (tx: Transaction) =>
    field === 'country' ? tx.geo?.country : field === 'categoryId' ? String(tx.categoryId) : tx[field];
  return {
    valueOf: (tx) => {
      const value = read(tx);
      return value === undefined ? undefined : keyOf(value);
    },
    running: () => {
      const events = new Map<number, number>();
      return {
        add: (entry) => {
          if (entry.remaining > 0) events.set(entry.value, (events.get(entry.value) ?? 0) + 1);
        },
        remove: (entry) => {
          if (entry.remaining <= 0) return;
          const left = events.get(entry.value)! - 1;
          if (left === 0) events.delete(entry.value);
          else events.set(entry.value, left);
        },
        value: () => events.size,
      };
    },
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
