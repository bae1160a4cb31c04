import { dispatch, spawn, start, stop, type ActorSystemRef, type Ref } from 'nact';
import type { ClientContext } from '../rules/audience.js';
import type { Catalog } from '../rules/catalog.js';
import type { InputEvent } from '../rules/events.js';
import { clientBehaviour, type Applied, type ClientMessage, type Replies } from './client-actor.js';
import type { StoredProgress } from '../platform/engine-state.js';
import { initialProgress } from '../rules/progress.js';

interface LiveActor {
  ref: Ref<ClientMessage>;
  /** The topic-partition the client's events come from; its actors are released when the partition is revoked. */
  partitionKey: string;
  lastUsedMs: number;
  inFlight: number;
}

/** Collects a run's answers and resolves with them once the last one is in. */
class RunReplies implements Replies {
  private readonly applied: Applied[];
  private waiting: number;

  constructor(
    private readonly actors: LiveActor[],
    private readonly resolve: (applied: Applied[]) => void,
  ) {
    this.applied = new Array<Applied>(actors.length);
    this.waiting = actors.length;
    if (this.waiting === 0) resolve(this.applied);
  }

  answer(index: number, applied: Applied) {
    this.actors[index]!.inFlight--;
    this.applied[index] = applied;
    if (--this.waiting === 0) this.resolve(this.applied);
  }
}

/** nact accepts only URI-safe names; other client ids are hex-encoded so every client gets a named actor. */
function actorName(clientId: string): string {
  return /^[a-z0-9-_.]+$/i.test(clientId)
    ? `client-${clientId}`
    : `client.${Buffer.from(clientId).toString('hex')}`;
}

/**
 * The cache of client actors, one per active client, under one nact system. Actors are spawned with progress
 * loaded from PostgreSQL, passivated after `idleMs` without events (their progress is already stored: every
 * batch commits before the next), and released when their partition moves to another instance.
 */
export class ClientActors {
  private readonly system: ActorSystemRef = start();
  private readonly live = new Map<string, LiveActor>();
  private readonly behaviour: ReturnType<typeof clientBehaviour>;

  constructor(
    zone: string,
    private readonly idleMs: number,
  ) {
    this.behaviour = clientBehaviour(zone);
  }

  get size(): number {
    return this.live.size;
  }

  /** The clients among `clientIds` that have no live actor and must have their progress loaded. */
  missing(clientIds: Iterable<string>): string[] {
    return [...new Set(clientIds)].filter((clientId) => !this.live.has(clientId));
  }

  /** Spawns a client's actor with its stored progress (a new client starts from nothing) and context. */
  spawn(clientId: string, partitionKey: string, stored: StoredProgress | undefined, context: ClientContext) {
    if (this.live.has(clientId)) return;
    const ref = spawn(this.system, this.behaviour, actorName(clientId), {
      // A literal, not a spread: the state keeps a fixed shape with its fields in the object (smaller heap).
      initialState: {
        version: stored?.version ?? 0,
        progress: stored?.progress ?? initialProgress(),
        segments: context.segments,
        erasedAtMs: context.erasedAtMs,
      },
      // A rule that throws on an event answers the waiting batch (which sets the event aside to the DLQ) and
      // resumes with the progress as it was: the client's other events, and other clients, go on.
      onCrash: (message, error, ctx) => {
        if (message?.type !== 'ApplyEvent') return ctx.resume;
        message.replies.answer(message.index, {
          ok: false,
          clientId,
          error: `rule evaluation failed: ${error?.message ?? 'unknown'}`,
        });
        return ctx.resume;
      },
    });
    this.live.set(clientId, { ref, partitionKey, lastUsedMs: Date.now(), inFlight: 0 });
  }

  /**
   * Hands each event to its client's actor with the rules in force for them; resolves once all are applied,
   * with what each did, in the events' order. Every event's client must have a live actor.
   */
  applyAll(events: readonly InputEvent[], catalog: Catalog): Promise<Applied[]> {
    const actors = events.map((event) => this.live.get(event.clientId));
    const lost = events.find((_, i) => actors[i] === undefined);
    if (lost) return Promise.reject(new Error(`no live actor for client ${lost.clientId}`));
    return new Promise((resolve) => {
      const replies = new RunReplies(actors as LiveActor[], resolve);
      const now = Date.now();
      events.forEach((event, index) => {
        const actor = actors[index]!;
        actor.inFlight++;
        actor.lastUsedMs = now;
        dispatch(actor.ref, { type: 'ApplyEvent', event, catalog, replies, index });
      });
    });
  }

  /** The cached clients among `clientIds`. */
  cached(clientIds: Iterable<string>): string[] {
    return [...clientIds].filter((clientId) => this.live.has(clientId));
  }

  /** Tells a cached client's actor its segments now; its next event is decided with them. */
  setSegments(clientId: string, segments: readonly string[]) {
    const actor = this.live.get(clientId);
    if (actor) dispatch(actor.ref, { type: 'SetSegments', segments });
  }

  /** Stops the actors of clients whose partitions this instance no longer owns. */
  releasePartitions(keep: (partitionKey: string) => boolean): number {
    return this.stopWhere((actor) => !keep(actor.partitionKey));
  }

  /** Stops actors idle for longer than `idleMs`, keeping memory bounded by the active clients. */
  passivateIdle(nowMs = Date.now()): number {
    return this.stopWhere((actor) => actor.inFlight === 0 && nowMs - actor.lastUsedMs > this.idleMs);
  }

  /** Drops the actors of these clients (their in-memory progress may be ahead of what was stored). */
  discard(clientIds: Iterable<string>) {
    const dropped = new Set(clientIds);
    for (const clientId of dropped) {
      const actor = this.live.get(clientId);
      if (!actor) continue;
      stop(actor.ref);
      this.live.delete(clientId);
    }
  }

  private stopWhere(condition: (actor: LiveActor) => boolean): number {
    let stopped = 0;
    for (const [clientId, actor] of this.live) {
      if (actor.inFlight > 0 || !condition(actor)) continue;
      stop(actor.ref);
      this.live.delete(clientId);
      stopped++;
    }
    return stopped;
  }

  stopAll() {
    stop(this.system);
    this.live.clear();
  }
}
