import { NO_CONTEXT, type ClientContext } from './audience.js';
import type { Catalog, CatalogRule } from './catalog.js';
import { decide } from './decide.js';
import { eventTimeMs, type InputEvent } from './events.js';
import { groupGrants } from './group-grants.js';
import { withHoldings, type Holding, type RecordPosition } from './holdings.js';
import { initialProgress, type ClientProgress, type UnlockRecord } from './progress.js';

/** An unlock a replay made: which achievement (and occurrence), when, by what, and for how many points. */
export interface ReplayEarning extends UnlockRecord {
  achievementId: string;
  /** A repeating achievement's occurrence. */
  occurrence?: string;
  /** The points it carries: the level's, or fewer where the rule's cap left fewer. */
  points: number;
  /** The time of the record that earned it: the period the rule's cap counts it in. */
  recordAtMs: number;
  /** Where that record sits in its topic (absent in checkpoints written before it was kept). */
  source?: RecordPosition;
}

/**
 * A client as a replay leaves it: its progress, and every unlock the replay made, which the progress records
 * only in part (a repeat record counts a repeating level's earnings; no record keeps what a cap left).
 */
export interface ReplayedClient {
  progress: ClientProgress;
  earnings: ReplayEarning[];
  /** For a rule sharing a cap with a group: what the group was granted (see group-grants.ts). */
  grants?: number[];
}

/** What a replay of one partition has found so far. */
export interface ReplaySummary {
  eventsReplayed: number;
  /** Clients with progress or an unlock on the rule. */
  clientsTouched: number;
  /** Clients holding each achievement of the rule. */
  clients: Record<string, number>;
  /** The points of every unlock found (each earning of a repeating achievement), as the rule's cap left them. */
  points: number;
}

/**
 * The achievements a replay of the rule needs the earnings of: those a composite counts, the one a follow-up
 * counts from, and those of the rules sharing its cap's group, itself included (whose grants its cap counts),
 * as `catalog` knows them (see `knowingAchievementsOf`). A replay of the rule alone is given them as live
 * processing stored them (see holdings.ts): those before the history it reads by `Replay.hold`, the others
 * with the record each was earned on.
 */
export function achievementsReadBy(rule: CatalogRule, catalog: Catalog): string[] {
  const group = rule.cap?.group;
  const sharingCap = [...catalog.achievements]
    .filter(([, { rule: other }]) => group !== undefined && other.cap?.group === group)
    .map(([id]) => id);
  return [
    ...(rule.trigger.on === 'achievements' ? rule.trigger.of : []),
    ...(rule.after ? [rule.after.achievement] : []),
    ...sharingCap,
  ];
}

/** How often the client earned an achievement: once, or as many times as a repeating one was earned. */
const timesEarned = (progress: ClientProgress, achievementId: string) =>
  Object.hasOwn(progress.unlocked, achievementId) ? 1 : (progress.repeats?.[achievementId]?.times ?? 0);

/**
 * One rule over one partition's history: every client's progress as `decide` leaves it, from no progress, with
 * only that rule live. The same decide() as live processing, so a replay counts exactly what live processing
 * would have counted had the rule been live; memory holds one progress per client seen (and the unlocks it
 * made), whatever the history.
 */
export class Replay {
  private readonly clients: Map<string, ReplayedClient>;
  private readonly changed = new Set<string>();
  readonly rule: CatalogRule;
  /** The rule's achievements: given among the holdings of a rule sharing a cap, they count only as grants. */
  private readonly own: ReadonlySet<string>;

  constructor(
    readonly catalog: Catalog,
    readonly zone: string,
    from: Iterable<[string, ReplayedClient]> = [],
    public eventsReplayed = 0,
  ) {
    this.rule = catalog.rules[0]!;
    this.own = new Set(this.rule.levels.map((level) => level.achievementId));
    this.clients = new Map(from);
  }

  /**
   * Applies one record: its decoded event, or undefined for a record live processing set aside to the DLQ
   * (it counts for nothing, there as here). A record a rule refuses (too many attributes) leaves the client's
   * progress as it was, as the client actor's crash policy does live. `at.brought` is what the rule's
   * prerequisites' rules earned on this record live (see holdings.ts).
   */
  apply(
    event: InputEvent | undefined,
    at: { client?: ClientContext; brought?: readonly Holding[]; source?: RecordPosition } = {},
  ) {
    this.eventsReplayed++;
    if (!event) return;
    const before = this.clients.get(event.clientId) ?? { progress: initialProgress(), earnings: [] };
    const recordAtMs = eventTimeMs(event);
    const brought = at.brought?.filter((holding) => !this.own.has(holding.achievementId));
    let decision: ReturnType<typeof decide>;
    try {
      decision = decide(before.progress, event, this.catalog, this.zone, {
        client: at.client ?? NO_CONTEXT,
        ...(brought ? { brought } : {}),
      });
    } catch {
      return;
    }
    const granted = groupGrants(this.rule, this.catalog, at.brought ?? [], () => recordAtMs);
    if (decision.progress === before.progress && granted.length === 0) return;
    const earned = decision.unlocked.map(
      ({ achievementId, occurrence, unlockedAt, sourceEventId, points }): ReplayEarning => ({
        achievementId,
        ...(occurrence !== undefined ? { occurrence } : {}),
        at: unlockedAt,
        sourceEventId,
        points,
        recordAtMs,
        ...(at.source ? { source: at.source } : {}),
      }),
    );
    const earnings = earned.length > 0 ? [...before.earnings, ...earned] : before.earnings;
    const grants = granted.length > 0 ? [...(before.grants ?? []), ...granted] : before.grants;
    this.clients.set(event.clientId, {
      progress: decision.progress,
      earnings,
      ...(grants ? { grants } : {}),
    });
    this.changed.add(event.clientId);
  }

  /**
   * Starts a client not seen yet holding what the rule's prerequisites' rules earned before the history it
   * replays (see holdings.ts): a follow-up counts from its prerequisite's time, a composite unlocks on the
   * client's first record at the time the client came to hold the target-th achievement. A client already
   * seen keeps what it has.
   */
  hold(clientId: string, holdings: readonly Holding[]) {
    if (this.clients.has(clientId)) return;
    const progress = initialProgress();
    const others = holdings.filter((holding) => !this.own.has(holding.achievementId));
    const earned = withHoldings({ unlocked: progress.unlocked, repeats: undefined }, others);
    // Their records came before the replay's history: the unlock's time stands for the record's.
    const grants = groupGrants(this.rule, this.catalog, holdings, (holding) => Date.parse(holding.at));
    this.clients.set(clientId, {
      progress: {
        ...progress,
        unlocked: earned.unlocked,
        ...(earned.repeats ? { repeats: earned.repeats } : {}),
      },
      earnings: [],
      ...(grants.length > 0 ? { grants } : {}),
    });
  }

  /** The clients who changed since the last call, as they are now: what a checkpoint writes. */
  takeChanged(): [string, ReplayedClient][] {
    const changed = [...this.changed].map((clientId): [string, ReplayedClient] => [
      clientId,
      this.clients.get(clientId)!,
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
  touched(): [string, ReplayedClient][] {
    return [...this.clients].filter(([, { progress }]) => this.touches(progress));
  }

  summary(): ReplaySummary {
    const clients = Object.fromEntries(this.rule.levels.map((level) => [level.achievementId, 0]));
    let points = 0;
    let clientsTouched = 0;
    for (const { progress, earnings } of this.clients.values()) {
      if (!this.touches(progress)) continue;
      clientsTouched++;
      for (const level of this.rule.levels)
        if (timesEarned(progress, level.achievementId) > 0) clients[level.achievementId]!++;
      for (const earning of earnings) points += earning.points;
    }
    return { eventsReplayed: this.eventsReplayed, clientsTouched, clients, points };
  }
}
