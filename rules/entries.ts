/** Reading and writing a rule's flat entries `[key, timeMs, amount, value, …]`, kept in rising time. */

export const STRIDE = 4;

/** One counted event of a rule, with what refunds have left of its amount. */
export interface Entry {
  key: number;
  timeMs: number;
  amount: number;
  value: number;
  /** The amount not refunded: a purchase stops counting once nothing is left, a sum counts what is left. */
  remaining: number;
}

/** The entries as objects, each with its remaining amount after `refunded` (purchase key → amount refunded). */
export function readEntries(flat: number[], refunded: ReadonlyMap<number, number>): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < flat.length; i += STRIDE) {
    const key = flat[i]!;
    const amount = flat[i + 2]!;
    entries.push({
      key,
      timeMs: flat[i + 1]!,
      amount,
      value: flat[i + 3]!,
      remaining: Math.max(0, amount - (refunded.get(key) ?? 0)),
    });
  }
  return entries;
}

export function hasKey(flat: number[], key: number): boolean {
  for (let i = 0; i < flat.length; i += STRIDE) if (flat[i] === key) return true;
  return false;
}

/**
 * A copy with the entry inserted after every entry of the same or an earlier time. Made by `concat`, which
 * allocates the copy at its exact length: a copy grown by `push` carries up to half again its length unused,
 * and each client's entries are kept (and copied by the garbage collector) until its next event.
 */
export function insertEntry(flat: number[], entry: Omit<Entry, 'remaining'>): number[] {
  let at = flat.length;
  while (at > 0 && flat[at - STRIDE + 1]! > entry.timeMs) at -= STRIDE;
  const inserted = [entry.key, entry.timeMs, entry.amount, entry.value];
  // Most entries arrive newest: a copy with four numbers appended.
  return at === flat.length ? flat.concat(inserted) : flat.slice(0, at).concat(inserted, flat.slice(at));
}

/** The entries from the first one `keeps` accepts on (entries are in time order, so the rest are kept too). */
export function dropOlder(flat: number[], keeps: (timeMs: number) => boolean): number[] {
  let from = 0;
  while (from < flat.length && !keeps(flat[from + 1]!)) from += STRIDE;
  return from === 0 ? flat : flat.slice(from);
}

/** Both rules' entries in time order, an event both hold (the same key) kept once. */
export function unionEntries(flat: number[], other: number[]): number[] {
  let union = flat;
  for (let i = 0; i < other.length; i += STRIDE) {
    if (hasKey(union, other[i]!)) continue;
    union = insertEntry(union, {
      key: other[i]!,
      timeMs: other[i + 1]!,
      amount: other[i + 2]!,
      value: other[i + 3]!,
    });
  }
  return union;
}
