import type { ClientEvent, Transaction } from './events.js';
import type { Rule, RuleFilter } from './rule-schema.js';
import { scheduleMismatch, type ScheduleMismatch } from './schedule.js';

/** Which part of a rule's trigger, filter or schedule an event fails; constants, so the hot path allocates nothing. */
export type Mismatch =
  | 'trigger'
  | 'kind'
  | 'category'
  | 'merchant'
  | 'currency'
  | 'country'
  | 'amount'
  | 'attributes'
  | 'excluded'
  | 'none-of-any'
  | ScheduleMismatch;

/**
 * The field of a transaction a filter names that fails it, or undefined when every one it names holds.
 * Attributes describe client events only: a transaction rule's filter does not read them.
 */
function fieldMismatch(f: RuleFilter, tx: Transaction): Mismatch | undefined {
  if (f.kinds && !f.kinds.includes(tx.kind as 'purchase' | 'transfer')) return 'kind';
  if (f.categoryIds && !f.categoryIds.includes(tx.categoryId)) return 'category';
  if (f.merchantIds && !f.merchantIds.includes(tx.merchantId)) return 'merchant';
  if (f.currencies && !f.currencies.includes(tx.currency)) return 'currency';
  if (f.countries && !(tx.geo && f.countries.includes(tx.geo.country))) return 'country';
  if (f.amount?.min !== undefined && tx.amount < f.amount.min) return 'amount';
  if (f.amount?.max !== undefined && tx.amount > f.amount.max) return 'amount';
  return undefined;
}

/** The same for a client event, which only attributes describe: a transaction's fields are not read. */
function attributesMismatch(f: RuleFilter, event: ClientEvent): Mismatch | undefined {
  const wanted = f.attributes;
  if (!wanted) return undefined;
  for (const name in wanted) {
    if (!Object.hasOwn(event.attributes, name) || event.attributes[name] !== wanted[name])
      return 'attributes';
  }
  return undefined;
}

/**
 * The first part of a filter the event fails: its own fields, then its exclusion (`not`: the event must not
 * match it), its alternatives (`any`: one must match) and its group (`all`: each must match).
 */
function filterMismatch<E>(
  f: RuleFilter,
  event: E,
  fields: (f: RuleFilter, event: E) => Mismatch | undefined,
): Mismatch | undefined {
  const own = fields(f, event);
  if (own !== undefined) return own;
  if (f.not && filterMismatch(f.not, event, fields) === undefined) return 'excluded';
  if (f.any && f.any.every((one) => filterMismatch(one, event, fields) !== undefined)) return 'none-of-any';
  if (f.all) {
    for (const one of f.all) {
      const failed: Mismatch | undefined = filterMismatch(one, event, fields);
      if (failed !== undefined) return failed;
    }
  }
  return undefined;
}

/** The first part of the rule's trigger, filter and schedule the transaction fails, or undefined when it matches. */
export function transactionMismatch(
  rule: Rule,
  tx: Transaction,
  timeMs: number,
  zone: string,
): Mismatch | undefined {
  if (rule.trigger.on !== 'transaction') return 'trigger';
  // A refund is never counted itself, and a rule that names no kinds counts purchases (CONTRACT §2).
  if (tx.kind === 'refund' || (!rule.filter.kinds && tx.kind !== 'purchase')) return 'kind';
  return filterMismatch(rule.filter, tx, fieldMismatch) ?? scheduleMismatch(rule.schedule, timeMs, zone);
}

/** The first part of the rule's trigger, filter and schedule the client event fails, or undefined when it matches. */
export function clientEventMismatch(
  rule: Rule,
  event: ClientEvent,
  timeMs: number,
  zone: string,
): Mismatch | undefined {
  if (rule.trigger.on !== 'client-event' || rule.trigger.type !== event.type) return 'trigger';
  return (
    filterMismatch(rule.filter, event, attributesMismatch) ?? scheduleMismatch(rule.schedule, timeMs, zone)
  );
}
