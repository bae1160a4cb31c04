import type pg from 'pg';
import { budgetStandings } from '../platform/budget-store.js';
import type { Catalog } from '../rules/catalog.js';

/** How long one replica answers from the closures it read: a rule closes for the app at most this late. */
const FRESH_MS = 1_000;

/**
 * When each closed budget of the live rules closed, by rule id, read at most once a second per replica (every
 * app request reads it; none reads PostgreSQL for it while no live rule has a budget).
 */
export function budgetClosures(db: pg.Pool, catalog: () => Catalog) {
  let kept: { at: number; of: Catalog; closed: Promise<ReadonlyMap<string, string>> } | undefined;
  return (): Promise<ReadonlyMap<string, string>> => {
    const live = catalog();
    const now = Date.now();
    if (kept && kept.of === live && now - kept.at < FRESH_MS) return kept.closed;
    const closed = budgetStandings(db, live).then(
      (standings) =>
        new Map(
          [...standings].flatMap(([ruleId, { closedAt }]) =>
            closedAt === null ? [] : [[ruleId, closedAt] as const],
          ),
        ),
    );
    closed.catch(() => (kept = undefined));
    kept = { at: now, of: live, closed };
    return closed;
  };
}
