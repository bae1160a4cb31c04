import { NO_CONTEXT, type ClientContext } from './audience.js';
import type { Catalog, CatalogRule } from './catalog.js';
import { decide } from './decide.js';
import type { InputEvent } from './events.js';
import { initialProgress, type ClientProgress } from './progress.js';

/** What a replay of one partition has found so far. */
export interface ReplaySummary {
  eventsReplayed: number;
  /** Clients with progress or an unlock on the rule. */
  clientsTouched: number;
  /** Clients holding each achievement of the rule. */
  clients: Record<string, number>;
  /** The points of every unlock found (each earning of a repeating achievement). */
  points: number;
}

/** How often the client earned an achievement: once, or as many times as a repeating one was earned. */
const timesEarned = (progress: ClientProgress, achievementId: string) =>
  Object.hasOwn(progress.unlocked, achievementId) ? 1 : (progress.repeats?.[achievementId]?.times ?? 0);

/**
 * One rule over one partition's history: every client's progress as `decide` leaves it, from no progress, with
 * only that rule live. The same decide() as live processing, so a replay counts exactly what live processing
 * would have counted had the rule been live; memory holds one progress per client seen, whatever the history.
 */
export class Replay {
  private readonly progress: Map<string, ClientProgress>;
  private readonly changed = new Set<string>();
  readonly rule: CatalogRule;

  constructor(
    readonly catalog: Catalog,
    private readonly zone: string,
    from: Iterable<[string, ClientProgress]> = [],
    public eventsReplayed = 0,
  ) {
    this.rule = catalog.rules[0]!;
    this.progress = new Map(from);
  }

  /**
   * Applies one record: its decoded event, or undefined for a record live processing set aside to the DLQ
   * (it counts for nothing, there as here). A record a rule refuses (too many attributes) leaves the client's
   * progress as it was, as the client actor's crash policy does live.
   */
  apply(event: InputEvent | undefined, client: ClientContext = NO_CONTEXT) {
    this.eventsReplayed++;
    if (!event) return;
    const before = this.progress.get(event.clientId) ?? initialProgress();
    let after: ClientProgress;
    try {
      after = decide(before, event, this.catalog, this.zone, { client }).progress;
    } catch {
      return;
    }
    if (after === before) return;
    this.progress.set(event.clientId, after);
    this.changed.add(event.clientId);
  }

  /** The clients whose progress changed since the last call, with it: what a checkpoint writes. */
  takeChanged(): [string, ClientProgress][] {
    const changed = [...this.changed].map((clientId): [string, ClientProgress] => [
      clientId,
      this.progress.get(clientId)!,
    ]);
    this.changed.clear();
    return changed;
  }

  /** Whether the client has progress or an unlock on the rule. */
  private touches(progress: ClientProgress): boolean {
    return (
      progress.rules[this.rule.progressKey] !== undefined ||
      this.rule.levels.some((level) => timesEarned(progress, level.achievementId) > 0)
    );
  }

  /** Every client with progress or an unlock on the rule. */
  touched(): [string, ClientProgress][] {
    return [...this.progress].filter(([, progress]) => this.touches(progress));
  }

  summary(): ReplaySummary {
    const clients = Object.fromEntries(this.rule.levels.map((level) => [level.achievementId, 0]));
    let points = 0;
    let clientsTouched = 0;
    for (const progress of this.progress.values()) {
      if (!this.touches(progress)) continue;
      clientsTouched++;
      for (const level of this.rule.levels) {
        const times = timesEarned(progress, level.achievementId);
        if (times === 0) continue;
        clients[level.achievementId]!++;
        points += times * level.points;
      }
    }
    return { eventsReplayed: this.eventsReplayed, clientsTouched, clients, points };
  }
}
