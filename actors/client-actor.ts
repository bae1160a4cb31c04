import type { Catalog } from '../rules/catalog.js';
import { decide, type AchievementUnlocked } from '../rules/decide.js';
import type { InputEvent } from '../rules/events.js';
import type { StoredProgress } from '../platform/engine-state.js';
import { nudgesCrossed, type ProgressNudged } from '../rules/nudges.js';

/** What applying one event to a client produced; `changed` is false when no rule counted it. */
export type Applied =
  | {
      ok: true;
      clientId: string;
      changed: boolean;
      /** The client's state once the event is applied. */
      state: ClientState;
      unlocked: AchievementUnlocked[];
      nudged: ProgressNudged[];
    }
  | { ok: false; clientId: string; error: string };

/** Where the actors answer a run of events: each answer at the index of its event. */
export interface Replies {
  answer(index: number, applied: Applied): void;
}

/**
 * An event for the client, with the rules in force at its position in its partition. `replies` stands in for
 * nact's `query`, which creates a temporary reference and a timer per call, and is shared by the whole run's
 * events, so that answering one costs no promise or closure of its own: all on the hot path.
 */
export interface ApplyEvent {
  type: 'ApplyEvent';
  event: InputEvent;
  catalog: Catalog;
  replies: Replies;
  index: number;
}

/**
 * The client's state as the engine now holds it: its segments once its partition took a segment import, or
 * its state before a run whose effects could not be stored (the run is applied again).
 */
export interface SetState {
  type: 'SetState';
  state: ClientState;
}

export type ClientMessage = ApplyEvent | SetState;

/** What a client actor holds: its stored progress, the segments it belongs to, and when it was erased. */
export type ClientState = StoredProgress & { segments: readonly string[]; erasedAtMs: number | undefined };

/**
 * The client actor's behaviour: a thin shell around the pure rule engine. It holds the client's progress,
 * applies each event in arrival order and reports the effects; it never does I/O itself. A throw is the
 * actor's crash, answered by the crash policy of `ClientActors`.
 */
export function clientBehaviour(zone: string) {
  return (state: ClientState, message: ClientMessage): ClientState => {
    if (message.type === 'SetState') return message.state;
    const decision = decide(state.progress, message.event, message.catalog, zone, { client: state });
    const changed = decision.progress !== state.progress;
    const next = changed ? { ...state, version: state.version + 1, progress: decision.progress } : state;
    message.replies.answer(message.index, {
      ok: true,
      clientId: message.event.clientId,
      changed,
      state: next,
      unlocked: decision.unlocked,
      nudged: nudgesCrossed(state.progress, decision.progress, message.event, message.catalog, zone),
    });
    return next;
  };
}
