import { dispatch, spawn, start, stop, type ActorSystemRef, type Ref } from 'nact';
import './nact-immediates.js';
import type { ClientContext } from '../rules/audience.js';
import type { Catalog } from '../rules/catalog.js';
import type { InputEvent } from '../rules/events.js';
import {
  clientBehaviour,
  type Applied,
  type ClientMessage,
  type ClientState,
  type Replies,
} from './client-actor.js';
import type { StoredProgress } from '../platform/engine-state.js';
import { initialProgress } from '../rules/progress.js';

interface LiveActor {
  clientId: string;
  ref: Ref<ClientMessage>;
  /** The partition number the client's events come from (the same in every input topic). */
  partition: number;
  lastUsedMs: number;
  inFlight: number;
  /** The state the actor holds once it has handled every message sent to it. */
  state: ClientState;
  /** The version of the client's progress stored in PostgreSQL: the actor is dirty while its state is newer. */
  storedVersion: number;
}

/** Collects a run's answers and resolves with them once the last one is in. */
class RunReplies implements Replies {
  private readonly applied: Applied[];
  private waiting: number;

  constructor(
    private readonly actors: LiveActor[],
    private readonly changed: (actor: LiveActor) => void,
    private readonly resolve: (applied: Applied[]) => void,
  ) {
    this.applied = new Array<Applied>(actors.length);
    this.waiting = actors.length;
    if (this.waiting === 0) resolve(this.applied);
  }

  answer(index: number, applied: Applied) {
    const actor = this.actors[index]!;
    actor.inFlight--;
    if (applied.ok && applied.changed) {
      actor.state = applied.state;
      this.changed(actor);
    }
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
 * The client actors, one per active client, under one nact system: they hold the clients' progress. An actor is
 * spawned with the progress its partition's last checkpoint stored, is dirty while it holds progress newer than
 * that, passivated once clean and idle for `idleMs`, and released when its partition moves to another instance.
 */
export class ClientActors {
  private readonly system: ActorSystemRef = start();
  private readonly live = new Map<string, LiveActor>();
  /** Per partition, the clients whose progress changed since it was last stored. */
  private readonly dirty = new Map<number, Set<string>>();
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
  spawn(clientId: string, partition: number, stored: StoredProgress | undefined, context: ClientContext) {
    if (this.live.has(clientId)) return;
    // A literal, not a spread: the state keeps a fixed shape with its fields in the object (smaller heap).
    const state: ClientState = {
      version: stored?.version ?? 0,
      progress: stored?.progress ?? initialProgress(),
      segments: context.segments,
      erasedAtMs: context.erasedAtMs,
    };
    const ref = spawn(this.system, this.behaviour, actorName(clientId), {
      initialState: state,
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
    this.live.set(clientId, {
      clientId,
      ref,
      partition,
      lastUsedMs: Date.now(),
      inFlight: 0,
      state,
      storedVersion: state.version,
    });
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
      const replies = new RunReplies(actors as LiveActor[], (actor) => this.markDirty(actor), resolve);
      const now = Date.now();
      events.forEach((event, index) => {
        const actor = actors[index]!;
        actor.inFlight++;
        actor.lastUsedMs = now;
        dispatch(actor.ref, { type: 'ApplyEvent', event, catalog, replies, index });
      });
    });
  }

  /** The states of these clients' actors now, to put back with `restore` if what follows cannot be stored. */
  snapshot(clientIds: Iterable<string>): Map<string, ClientState> {
    const states = new Map<string, ClientState>();
    for (const clientId of clientIds) {
      const actor = this.live.get(clientId);
      if (actor && !states.has(clientId)) states.set(clientId, actor.state);
    }
    return states;
  }

  /** Puts these clients' actors back in the states a `snapshot` took. */
  restore(states: ReadonlyMap<string, ClientState>) {
    for (const [clientId, state] of states) this.setState(clientId, state);
  }

  /** The cached clients of a partition among `clientIds`. */
  cachedOf(partition: number, clientIds: Iterable<string>): string[] {
    return [...new Set(clientIds)].filter((clientId) => this.live.get(clientId)?.partition === partition);
  }

  /** Tells a cached client's actor its segments now; its next event is decided with them. */
  setSegments(clientId: string, segments: readonly string[]) {
    const actor = this.live.get(clientId);
    if (actor) this.setState(clientId, { ...actor.state, segments });
  }

  /** The progress of the partition's clients newer than what PostgreSQL holds, to store at its checkpoint. */
  unstored(partition: number): Map<string, StoredProgress> {
    return this.unstoredOf(this.dirty.get(partition) ?? []);
  }

  /** The progress of these clients, where newer than what PostgreSQL holds. */
  unstoredOf(clientIds: Iterable<string>): Map<string, StoredProgress> {
    const rows = new Map<string, StoredProgress>();
    for (const clientId of clientIds) {
      const actor = this.live.get(clientId);
      if (actor && actor.state.version > actor.storedVersion)
        rows.set(clientId, { version: actor.state.version, progress: actor.state.progress });
    }
    return rows;
  }

  /** Marks what a checkpoint stored: those clients are clean again (and may be passivated). */
  stored(partition: number, rows: ReadonlyMap<string, StoredProgress>) {
    for (const [clientId, { version }] of rows) {
      const actor = this.live.get(clientId);
      if (actor) actor.storedVersion = Math.max(actor.storedVersion, version);
    }
    const dirty = this.dirty.get(partition);
    if (!dirty) return;
    for (const clientId of dirty) {
      const actor = this.live.get(clientId);
      if (!actor || actor.state.version <= actor.storedVersion) dirty.delete(clientId);
    }
  }

  /** Stops the actors of the partitions this instance no longer owns (or must read again from their checkpoint). */
  releasePartitions(keep: (partition: number) => boolean): number {
    for (const partition of this.dirty.keys()) if (!keep(partition)) this.dirty.delete(partition);
    return this.stopWhere((actor) => !keep(actor.partition), true);
  }

  /** Stops actors clean and idle for longer than `idleMs`, keeping memory bounded by the active clients. */
  passivateIdle(nowMs = Date.now()): number {
    return this.stopWhere(
      (actor) => actor.state.version === actor.storedVersion && nowMs - actor.lastUsedMs > this.idleMs,
    );
  }

  private markDirty(actor: LiveActor) {
    let dirty = this.dirty.get(actor.partition);
    if (!dirty) this.dirty.set(actor.partition, (dirty = new Set()));
    dirty.add(actor.clientId);
  }

  private setState(clientId: string, state: ClientState) {
    const actor = this.live.get(clientId);
    if (!actor) return;
    actor.state = state;
    dispatch(actor.ref, { type: 'SetState', state });
  }

  private stopWhere(condition: (actor: LiveActor) => boolean, evenInFlight = false): number {
    let stopped = 0;
    for (const [clientId, actor] of this.live) {
      if ((actor.inFlight > 0 && !evenInFlight) || !condition(actor)) continue;
      stop(actor.ref);
      this.live.delete(clientId);
      stopped++;
    }
    return stopped;
  }

  stopAll() {
    stop(this.system);
    this.live.clear();
    this.dirty.clear();
  }
}
