import type { InputEvent } from '../rules/events.js';
import type { StoredProgress } from './progress-store.js';
import type { Catalog } from '../rules/catalog.js';
import { decide, type AchievementUnlocked } from '../rules/decide.js';

/** What applying one event to a client produced; `changed` is false when no rule counted it. */
export type Applied =
  | { ok: true; clientId: string; changed: boolean; stored: StoredProgress; unlocked: AchievementUnlocked[] }
  | { ok: false; clientId: string; error: string };

/**
 * The one message a client actor takes. The reply callback stands in for nact's `query`, which creates a
 * temporary reference and a timer per call: too costly for every event on the hot path.
 */
export interface ApplyEvent {
  type: 'ApplyEvent';
  event: InputEvent;
  reply: (applied: Applied) => void;
}

export interface RuleContext {
  catalog: Catalog;
  zone: string;
}

/**
 * The client actor's behaviour: a thin shell around the pure rule engine. It holds the client's progress,
 * applies each event in arrival order and reports the effects; it never does I/O itself. A throw is the
 * actor's crash, answered by the crash policy of `ClientActors`.
 */
export function clientBehaviour({ catalog, zone }: RuleContext) {
  return (state: StoredProgress, message: ApplyEvent): StoredProgress => {
    const decision = decide(state.progress, message.event, catalog, zone);
    const changed = decision.progress !== state.progress;
    const next = changed ? { version: state.version + 1, progress: decision.progress } : state;
    message.reply({
      ok: true,
      clientId: message.event.clientId,
      changed,
      stored: next,
      unlocked: decision.unlocked,
    });
    return next;
  };
}
