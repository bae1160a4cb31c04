import type { Catalog } from './catalog.js';
import { PROGRESS_FORMAT, type ClientProgress, type RuleProgress, type UnlockRecord } from './progress.js';

/** Progress as format 2 stored it: one horizon for both input topics. */
type FormatTwo = Omit<ClientProgress, 'format' | 'transactionsHorizonMs' | 'eventsHorizonMs'> & {
  format: 2;
  horizonMs: number;
};

/** Progress as builds before format 2 stored it: per rule `[key, timeMs, value]` triples, refunds as keys. */
interface FormatOne {
  rules: Record<string, { latestMs: number; entries: number[] }>;
  unlocked: Record<string, UnlockRecord>;
  refunded: number[];
}

/** A refund known only by its purchase: it took back all of it. */
const WHOLE = Number.MAX_SAFE_INTEGER;

function upgradeRule(kept: number[], measure: string): RuleProgress {
  const entries: number[] = [];
  for (let i = 0; i < kept.length; i += 3) {
    const [key, timeMs, value] = [kept[i]!, kept[i + 1]!, kept[i + 2]!];
    // A sum kept the amount; a distinct count its value; the others kept 1, and any refund took all of it.
    if (measure === 'sum') entries.push(key, timeMs, value, 0);
    else entries.push(key, timeMs, 1, measure === 'distinct' ? value : 0);
  }
  const order = Array.from({ length: entries.length / 4 }, (_, i) => i).sort(
    (a, b) => entries[a * 4 + 1]! - entries[b * 4 + 1]!,
  );
  return { entries: order.flatMap((i) => entries.slice(i * 4, i * 4 + 4)) };
}

/**
 * Progress read from storage in the current layout. Earlier builds' progress keeps its counts: what it lacks
 * (the amounts of counted events, the times of early refunds, a horizon per input topic) is filled in as those
 * builds treated it.
 */
export function upgradeProgress(
  stored: ClientProgress | FormatTwo | FormatOne,
  catalog: Catalog,
): ClientProgress {
  if (!('format' in stored)) return upgradeFormatOne(stored, catalog);
  if (stored.format === PROGRESS_FORMAT) return stored;
  const { horizonMs, ...rest } = stored;
  return { ...rest, format: PROGRESS_FORMAT, transactionsHorizonMs: horizonMs, eventsHorizonMs: horizonMs };
}

function upgradeFormatOne(old: FormatOne, catalog: Catalog): ClientProgress {
  const horizonMs = Math.max(0, ...Object.values(old.rules).map((rule) => rule.latestMs));
  const rules: Record<string, RuleProgress> = {};
  for (const rule of catalog.rules) {
    const kept = old.rules[rule.id];
    if (kept) rules[rule.id] = upgradeRule(kept.entries, rule.measure.type);
  }
  return {
    format: PROGRESS_FORMAT,
    transactionsHorizonMs: horizonMs,
    eventsHorizonMs: horizonMs,
    rules,
    unlocked: old.unlocked,
    refunds: old.refunded.flatMap((purchaseKey) => [0, purchaseKey, WHOLE, horizonMs]),
  };
}
