import { buildCatalog, type Catalog } from './catalog.js';
import { storedRuleSchema, type Rule } from './rule-schema.js';

/** A rule version as stored: immutable once written. */
export interface StoredRuleVersion {
  ruleId: string;
  version: number;
  document: unknown;
  createdAt: string;
  createdBy: string;
}

/** An activation (`version` set) or a deactivation (`version` null), in the order operations asked for them. */
export interface RuleChange {
  seq: number;
  ruleId: string;
  version: number | null;
  /** The version whose activation began the progress this one counts into (see `progressKeyOf`). */
  measuredSince: number | null;
  requestedAt: string;
  requestedBy: string;
}

/**
 * What a rule's progress is: its trigger, filter, schedule, measure and window, and the achievement a follow-up
 * counts from. Texts, points and partners are not. A schedule moved (a campaign extended) counts anew from its
 * activation, as any change of what counts: activate it with a backfill from the campaign's start to count
 * history under it.
 */
function measuredPart(rule: Rule): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return JSON.stringify(
    canonical({
      trigger: rule.trigger,
      filter: rule.filter,
      schedule: rule.schedule,
      measure: rule.measure,
      window: rule.window,
      // Absent from a rule that follows nothing, so its progress key stays what earlier builds gave it.
      after: rule.after,
    }),
  );
}

/**
 * The progress an activation of `next` counts into: the active version's, when `next` measures the same thing
 * (an edit of texts, points, partners, levels or audience), else its own, starting empty at its activation.
 */
export function measuredSinceFor(
  active: { rule: Rule; measuredSince: number } | undefined,
  next: Rule,
): number {
  return active && measuredPart(active.rule) === measuredPart(next) ? active.measuredSince : next.version;
}

const versionKey = (ruleId: string, version: number) => `${ruleId}@${version}`;

/**
 * Every rule version and the ordered log of activations: the catalog in force after any change, the one in force
 * now, and every rule ever live (for the texts and partners of unlocks earned under a version since replaced).
 */
export class RuleBook {
  private readonly versions = new Map<string, StoredRuleVersion>();
  private readonly parsed = new Map<string, Rule>();
  private readonly catalogs = new Map<number, Catalog>();
  private everLiveCatalog: Catalog | undefined;

  constructor(
    versions: Iterable<StoredRuleVersion>,
    readonly changes: readonly RuleChange[],
  ) {
    for (const version of versions) this.versions.set(versionKey(version.ruleId, version.version), version);
  }

  /** The newest change's sequence number; 0 before any. */
  get latestSeq(): number {
    return this.changes.at(-1)?.seq ?? 0;
  }

  /** A stored version's rule, parsed; undefined when there is no such version. */
  rule(ruleId: string, version: number): Rule | undefined {
    const key = versionKey(ruleId, version);
    const stored = this.versions.get(key);
    if (!stored) return undefined;
    if (!this.parsed.has(key)) this.parsed.set(key, storedRuleSchema.parse(stored.document));
    return this.parsed.get(key);
  }

  /** Each rule's latest change up to and including `seq`. */
  private latestChanges(seq: number): Map<string, RuleChange> {
    const latest = new Map<string, RuleChange>();
    for (const change of this.changes) if (change.seq <= seq) latest.set(change.ruleId, change);
    return latest;
  }

  private catalogOf(changes: Iterable<RuleChange>): Catalog {
    return buildCatalog(
      [...changes].map((change) => ({
        source: `${change.ruleId} v${change.version}`,
        document: this.versions.get(versionKey(change.ruleId, change.version!))!.document,
        measuredSince: change.measuredSince!,
      })),
      'stored',
    );
  }

  /** The rules live once every change up to `seq` applied. */
  catalogAt(seq: number): Catalog {
    let catalog = this.catalogs.get(seq);
    if (!catalog) {
      const live = [...this.latestChanges(seq).values()].filter((change) => change.version !== null);
      catalog = this.catalogOf(live);
      this.catalogs.set(seq, catalog);
    }
    return catalog;
  }

  /** The rules live now. */
  active(): Catalog {
    return this.catalogAt(this.latestSeq);
  }

  /** Every rule ever live, each as its last activated version: earned unlocks keep their texts and partner. */
  everLive(): Catalog {
    if (!this.everLiveCatalog) {
      const last = new Map<string, RuleChange>();
      for (const change of this.changes) if (change.version !== null) last.set(change.ruleId, change);
      this.everLiveCatalog = this.catalogOf(last.values());
    }
    return this.everLiveCatalog;
  }
}
