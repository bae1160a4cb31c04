import { ATTRIBUTES_UPDATED, type ClientEvent } from './events.js';
import { LATENESS_MS, type ClientAttributes, type ClientProgress } from './progress.js';

/** How many attributes (removals included, while they matter) one client keeps. */
export const MAX_CLIENT_ATTRIBUTES = 64;

/** A client holds more attributes than it may: the event that would add one is refused with this reason. */
export class TooManyAttributes extends Error {
  constructor(clientId: string) {
    super(
      `client ${clientId} would hold more than ${MAX_CLIENT_ATTRIBUTES} attributes; remove some (null) before adding others`,
    );
    this.name = 'TooManyAttributes';
  }
}

/**
 * The client's attributes after an `attributes.updated` event (CONTRACT §2): each value set replaces an
 * earlier-dated one, and `null` removes it. A removal is kept, with its time, while an earlier-dated value could
 * still arrive and count, so that a late value never brings back what a later event removed.
 */
export function withAttributes(progress: ClientProgress, event: ClientEvent): ClientProgress {
  if (event.type !== ATTRIBUTES_UPDATED) return progress;
  const timeMs = Date.parse(event.time);
  const oldest = progress.eventsHorizonMs - LATENESS_MS;
  const next: ClientAttributes = {};
  for (const [name, kept] of Object.entries(progress.attributes ?? {})) {
    if (kept[0] !== null || kept[1] >= oldest) next[name] = kept;
  }
  let changed = Object.keys(next).length !== Object.keys(progress.attributes ?? {}).length;
  for (const [name, value] of Object.entries(event.attributes)) {
    const kept = next[name];
    if (kept && kept[1] > timeMs) continue;
    const set = value as string | number | boolean | null;
    if (kept && kept[0] === set && kept[1] === timeMs) continue;
    next[name] = [set, timeMs];
    changed = true;
  }
  if (!changed) return progress;
  if (Object.keys(next).length > MAX_CLIENT_ATTRIBUTES) throw new TooManyAttributes(event.clientId);
  return { ...progress, attributes: next };
}

/** The client's current attribute values, removals left out. */
export function attributeValues(progress: ClientProgress): Record<string, string | number | boolean> {
  // No prototype: a name a rule reads is never one every object already has (see platform/text.ts).
  const values: Record<string, string | number | boolean> = Object.create(null) as Record<
    string,
    string | number | boolean
  >;
  for (const [name, [value]] of Object.entries(progress.attributes ?? {})) {
    if (value !== null) values[name] = value;
  }
  return values;
}
