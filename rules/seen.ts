import { LATENESS_MS } from './progress.js';

/**
 * The ids a client's records carried lately, per input topic, so that the same id counts once whatever it
 * carries (CONTRACT §2): a copy with another amount, currency, kind or date changes nothing, not even the
 * horizon. Each rule also knows the events it holds, but a record one rule's filter turned away (a purchase in
 * EUR for a UAH rule) is held by none, so a copy of it in UAH would have counted as new.
 *
 * Flat pairs `[key, keptUntilMs, …]`, `keptUntilMs` being the topic's horizon just after the record arrived. An
 * id is remembered while that horizon is within `LATENESS_MS` of the topic's horizon: by then a copy bearing
 * the first one's date is late anyway, so only a copy dated anew more than 7 days after the first arrived (in
 * the client's own event time) could count again; README "What support can tell a client" says so.
 */

const STRIDE = 2;

/** Whether `key` was seen and is still remembered with the topic's horizon at `horizonMs`. */
export function wasSeen(seen: readonly number[] | undefined, key: number, horizonMs: number): boolean {
  if (seen === undefined) return false;
  const floor = horizonMs - LATENESS_MS;
  for (let i = 0; i < seen.length; i += STRIDE) if (seen[i] === key && seen[i + 1]! >= floor) return true;
  return false;
}

/**
 * The ids remembered once a record with `key` arrived and the topic's horizon became `horizonMs`. Made by
 * `concat`, at its exact length (see `insertEntry`): the client keeps it until its next record.
 */
export function withSeen(seen: readonly number[] | undefined, key: number, horizonMs: number): number[] {
  const floor = horizonMs - LATENESS_MS;
  const arrived = [key, horizonMs];
  if (seen === undefined) return arrived;
  let forgotten = 0;
  for (let i = 0; i < seen.length; i += STRIDE) if (seen[i + 1]! < floor) forgotten++;
  if (forgotten === 0) return seen.concat(arrived);
  const kept: number[] = [];
  for (let i = 0; i < seen.length; i += STRIDE) {
    if (seen[i + 1]! >= floor) kept.push(seen[i]!, seen[i + 1]!);
  }
  return kept.concat(arrived);
}
