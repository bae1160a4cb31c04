import { calendarPeriod } from './calendar.js';
import type { Catalog, CatalogRule } from './catalog.js';
import type { Holding } from './holdings.js';

/**
 * What a rule sharing a cap with a group (`cap.group`) finds its group was granted, as a backfill of it needs:
 * every grant of the group's rules (the rule's own included) as live processing made it, at the time of the
 * record that made it, kept as flat pairs `[recordAtMs, points, …]`. A replay gathers them from the holdings it
 * is given (see holdings.ts); its merge gives each unlock it found at most what the group's cap left in the
 * period once they are counted (see `leftInGroupCap`), whatever live processing still keeps of the period.
 */

/** The grants among `holdings` of the rules sharing the rule's cap group, each at `atMs` (of its record). */
export function groupGrants(
  rule: CatalogRule,
  catalog: Catalog,
  holdings: readonly Holding[],
  atMs: (holding: Holding) => number,
): number[] {
  const group = rule.cap?.group;
  if (group === undefined) return [];
  return holdings.flatMap((holding) =>
    holding.points !== undefined && catalog.achievements.get(holding.achievementId)?.rule.cap?.group === group
      ? [atMs(holding), holding.points]
      : [],
  );
}

/**
 * The points an unlock of the rule found at `atMs` gets, at most `points`: what the group's cap leaves in the
 * period once the group's grants there (`grants`) and what was found before it there (`found`, flat pairs
 * alike) are counted.
 */
export function leftInGroupCap(
  rule: CatalogRule,
  spent: { grants: readonly number[]; found: readonly number[] },
  atMs: number,
  points: number,
  zone: string,
): number {
  const cap = rule.cap!;
  const period = calendarPeriod(atMs, cap.per, zone);
  let used = 0;
  for (const flat of [spent.grants, spent.found])
    for (let i = 0; i < flat.length; i += 2)
      if (calendarPeriod(flat[i]!, cap.per, zone) === period) used += flat[i + 1]!;
  return Math.max(0, Math.min(points, cap.points - used));
}
