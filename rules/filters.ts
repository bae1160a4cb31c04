import type { ClientEvent, Transaction } from './events.js';
import type { Rule } from './rule-schema.js';

/** Which part of a rule's trigger or filter an event fails; constants, so the hot path allocates nothing. */
export type Mismatch =
  'trigger' | 'kind' | 'category' | 'merchant' | 'currency' | 'country' | 'amount' | 'attributes';

/** The first part of the rule's trigger and filter the transaction fails, or undefined when it matches. */
export function transactionMismatch(rule: Rule, tx: Transaction): Mismatch | undefined {
  if (rule.trigger.on !== 'transaction') return 'trigger';
  const f = rule.filter;
  if (tx.kind === 'refund' || !(f.kinds ?? ['purchase']).includes(tx.kind)) return 'kind';
  if (f.categoryIds && !f.categoryIds.includes(tx.categoryId)) return 'category';
  if (f.merchantIds && !f.merchantIds.includes(tx.merchantId)) return 'merchant';
  if (f.currencies && !f.currencies.includes(tx.currency)) return 'currency';
  if (f.countries && !(tx.geo && f.countries.includes(tx.geo.country))) return 'country';
  if (f.amount?.min !== undefined && tx.amount < f.amount.min) return 'amount';
  if (f.amount?.max !== undefined && tx.amount > f.amount.max) return 'amount';
  return undefined;
}

/** The first part of the rule's trigger and filter the client event fails, or undefined when it matches. */
export function clientEventMismatch(rule: Rule, event: ClientEvent): Mismatch | undefined {
  if (rule.trigger.on !== 'client-event' || rule.trigger.type !== event.type) return 'trigger';
  const wanted = rule.filter.attributes ?? {};
  return Object.entries(wanted).every(([name, value]) => event.attributes[name] === value)
    ? undefined
    : 'attributes';
}

/** Whether a transaction is one this rule counts (before any measure or window applies). */
export const transactionMatches = (rule: Rule, tx: Transaction) =>
  transactionMismatch(rule, tx) === undefined;

/** Whether a client event is one this rule counts: its type, and every attribute the filter names. */
export const clientEventMatches = (rule: Rule, event: ClientEvent) =>
  clientEventMismatch(rule, event) === undefined;
