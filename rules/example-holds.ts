import { z } from 'zod';
import { eventIdOf, eventTimeMs, type InputEvent } from './events.js';
import type { Holding } from './holdings.js';

/**
 * What other rules earned for a simulated client: "on the arrival of event `on`, the client came to hold
 * `achievement`". A composite or a follow-up is simulated alone, as a replay runs it, so its examples and
 * simulations name what it reads this way instead of carrying the rules that earn it.
 */
export const heldOnSchema = z
  .array(z.object({ achievement: z.string().min(1).max(100), on: z.string().min(1).max(200) }).strict())
  .max(50)
  .default([]);

export type HeldOn = z.output<typeof heldOnSchema>;

/** The achievements a rule reads from other rules: a composite's, and a follow-up's prerequisite. */
export function achievementsRead(rule: {
  trigger: { on: string; of?: string[] };
  after?: { achievement: string };
}) {
  return [
    ...(rule.trigger.on === 'achievements' ? (rule.trigger.of ?? []) : []),
    ...(rule.after ? [rule.after.achievement] : []),
  ];
}

/** Where `holds` does not fit the rule or the events: each with its path under `holds` and what to fix. */
export function holdsProblems(
  rule: Parameters<typeof achievementsRead>[0],
  eventIds: readonly string[],
  holds: HeldOn,
): { path: (string | number)[]; message: string }[] {
  const read = achievementsRead(rule);
  return holds.flatMap(({ achievement, on }, j) => [
    ...(read.includes(achievement)
      ? []
      : [
          {
            path: [j, 'achievement'],
            message:
              read.length === 0
                ? 'this rule reads no other achievement: holds is for composites and follow-ups'
                : `this rule does not read ${achievement}; name one of ${read.join(', ')}`,
          },
        ]),
    ...(eventIds.includes(on)
      ? []
      : [
          {
            path: [j, 'on'],
            message: `no event of "given" has the id ${on}; name one of ${eventIds.join(', ')}`,
          },
        ]),
  ]);
}

/**
 * What each event brings (decide's `brought`): the achievements held from its arrival, unlocked at its time.
 * Undefined for an event that brings none, as on the live path.
 */
export function broughtByEvent(events: readonly InputEvent[], holds: HeldOn): (Holding[] | undefined)[] {
  return events.map((event) => {
    const id = eventIdOf(event);
    const held = holds.filter(({ on }) => on === id);
    if (held.length === 0) return undefined;
    const at = new Date(eventTimeMs(event)).toISOString();
    return held.map(({ achievement }) => ({ achievementId: achievement, at, sourceEventId: id }));
  });
}
