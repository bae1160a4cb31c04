import type { ClientEvent, Transaction } from '../messages.js';
import type { Rule } from './rule-schema.js';

/** Whether a transaction is one this rule counts (before any measure or window applies). */
export function transactionMatches(rule: Rule, tx: Transaction): boolean {
  if (rule.trigger.on !== 'transaction') return false;
  const f = rule.filter;
  if (!(f.kinds ?? ['purchase']).includes(tx.kind)) return false;
  if (f.categoryIds && !f.categoryIds.includes(tx.categoryId)) return false;
  if (f.merchantIds && !f.merchantIds.includes(tx.merchantId)) return false;
  if (f.currencies && !f.currencies.includes(tx.currency)) return false;
  if (f.countries && !(tx.geo && f.countries.includes(tx.geo.country))) return false;
  if (f.amount?.min !== undefined && tx.amount < f.amount.min) return false;
  if (f.amount?.max !== undefined && tx.amount > f.amount.max) return false;
  return true;
}

/** Whether a client event is one this rule counts: its type, and every attribute the filter names. */
export function clientEventMatches(rule: Rule, event: ClientEvent): boolean {
  if (rule.trigger.on !== 'client-event' || rule.trigger.type !== event.type) return false;
  const wanted = rule.filter.attributes ?? {};
  return Object.entries(wanted).every(([name, value]) => event.attributes[name] === value);
}
