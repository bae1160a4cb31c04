import { catalogOfRule } from './catalog.js';
import type { InputEvent } from './events.js';
import { broughtByEvent, type HeldOn } from './example-holds.js';
import { traceRule } from './explain.js';
import { nudgesCrossed } from './nudges.js';
import { measureAt } from './progress-view.js';
import type { Rule } from './rule-schema.js';

/** One event of a simulation: whether it counted and why not, the measure after it, and what it unlocked. */
export interface SimulatedEvent {
  eventId: string;
  time: string;
  counted: boolean;
  why: string;
  /** The rule's measure after the event, in the window the app would show at the event's time. */
  measure: number;
  unlocked: string[];
  /** The progress points the event crossed, each a measure at which a level nudges the client. */
  nudged: number[];
}

/** Who the simulated client is: the segments it belongs to, and what other rules earned it on which event. */
export interface SimulatedClient {
  segments?: readonly string[];
  holds?: HeldOn;
}

/**
 * Runs one client's events, in the order given, through the same `decide` the engine runs with only this rule
 * live, from no progress: the trace behind `POST /v1/admin/rules/simulate` and `npm run rules:test`.
 */
export function simulate(
  rule: Rule,
  events: InputEvent[],
  zone: string,
  { segments = [], holds = [] }: SimulatedClient = {},
): SimulatedEvent[] {
  const catalog = catalogOfRule(rule);
  const live = catalog.rules[0]!;
  const brought = broughtByEvent(events, holds);
  return traceRule(rule.id, catalog, events, zone, { segments }, brought).map((traced, i) => ({
    eventId: traced.id,
    time: traced.time,
    counted: traced.counted,
    why: traced.why,
    measure: measureAt(live, traced.after, Date.parse(traced.time), zone),
    unlocked: traced.unlocked.map((u) => u.achievementId),
    nudged: nudgesCrossed(traced.before, traced.after, events[i]!, catalog, zone).map((n) => n.threshold),
  }));
}
