import type { ProgressNudged } from '../rules/nudges.js';
import type { StoredPosition } from './progress-store.js';

/** Where one topic's partition stands: in PostgreSQL, and in this instance's actors. */
export interface TopicPosition {
  /** The row as this instance last read or wrote it; absent until the topic's first checkpoint. */
  stored: StoredPosition | undefined;
  /** The offset after the last record the actors applied; undefined before the first. */
  nextOffset: string | undefined;
  /** The rule change the topic's records are decided under (it changes only at a checkpoint). */
  ruleSeq: number;
  /** Whether a batch was compared with `nextOffset` since the position was read (see `processBatch`). */
  checked: boolean;
}

/**
 * When a partition is checkpointed: after this many events, or, while it is live, this long after its first
 * change since the last, or once no record came for a tenth of the interval (a partition with little traffic is
 * stored soon, where it costs little; the app then sees its progress sooner). A partition catching up (more than
 * a tenth of `events` records behind the end of a topic) is checkpointed by events alone: the app sees it behind
 * by its lag whatever the interval, and each client's progress is written once for many of its records, not once
 * per interval. `events` also bounds what a replay after a crash goes through.
 */
export interface CheckpointPolicy {
  intervalMs: number;
  events: number;
}

/**
 * What a checkpoint takes of the ledger when it snapshots the partition: the events and nudges it stores. Given
 * back if the checkpoint is not stored, so the next one stores them.
 */
export interface Taken {
  events: number;
  changedSinceMs: number | undefined;
  nudged: ProgressNudged[];
}

const atOrPast = (offset: string | undefined, mark: string | undefined) =>
  mark === undefined || (offset !== undefined && BigInt(offset) >= BigInt(mark));

/**
 * What this instance holds of one partition number, across the input topics (which carry the same clients):
 * each topic's position, the segment import its clients are decided with, and what waits for its checkpoint.
 */
export class PartitionLedger {
  private eventsSince = 0;
  private changedSinceMs: number | undefined;
  private lastAppliedMs = 0;
  private nudged: ProgressNudged[] = [];
  /** Per topic, the records Kafka held past its last batch when that was fetched. */
  private readonly lag = new Map<string, number>();
  /** The checkpoint being stored while the partition goes on, if one is. */
  writing: Promise<void> | undefined;

  constructor(
    readonly partition: number,
    readonly topics: ReadonlyMap<string, TopicPosition>,
    public segmentSeq: number,
  ) {}

  /**
   * A partition as PostgreSQL holds it. One never checkpointed takes the newest segment import at once, as
   * nothing of it was decided yet.
   */
  static fromStored(
    partition: number,
    topics: readonly string[],
    stored: ReadonlyMap<string, StoredPosition>,
    newestSegmentSeq: number,
  ): PartitionLedger {
    const positions = new Map<string, TopicPosition>(
      topics.map((topic) => {
        const found = stored.get(topic);
        return [
          topic,
          { stored: found, nextOffset: found?.nextOffset, ruleSeq: found?.ruleSeq ?? 0, checked: false },
        ];
      }),
    );
    const segmentSeqs = [...stored.values()].map((position) => position.segmentSeq);
    return new PartitionLedger(
      partition,
      positions,
      segmentSeqs.length > 0 ? Math.max(...segmentSeqs) : newestSegmentSeq,
    );
  }

  position(topic: string): TopicPosition {
    const position = this.topics.get(topic);
    if (!position) throw new Error(`the engine does not read topic ${topic}`);
    return position;
  }

  /**
   * Whether the topic's records may now be decided under a newer rule change: every record whose unlocks were
   * stored before the checkpoint's progress (a replay decides those as live processing did) is behind.
   */
  mayTakeRuleChanges(topic: string): boolean {
    const { nextOffset, stored } = this.position(topic);
    return atOrPast(nextOffset, stored?.decidedOffset);
  }

  /** The offset before which the topic's records are decided under the checkpoint's changes, while ahead. */
  heldUntil(topic: string): string | undefined {
    return this.mayTakeRuleChanges(topic) ? undefined : this.position(topic).stored?.decidedOffset;
  }

  /** The same for a segment import, which every topic's records are decided with. */
  mayTakeSegmentChanges(): boolean {
    return [...this.topics.keys()].every((topic) => this.mayTakeRuleChanges(topic));
  }

  /** Records what a run of `topic` applied: where the topic now stands, and the nudges it crossed. */
  applied(topic: string, nextOffset: string, events: number, nudged: ProgressNudged[], nowMs: number) {
    this.position(topic).nextOffset = nextOffset;
    this.eventsSince += events;
    this.changedSinceMs ??= nowMs;
    this.lastAppliedMs = nowMs;
    this.nudged.push(...nudged);
  }

  /** Whether the partition holds anything its last checkpoint does not. */
  get pending(): boolean {
    return this.changedSinceMs !== undefined;
  }

  /** Notes how many records Kafka held past a topic's batch (kafkajs's `offsetLag`). */
  behindBy(topic: string, records: number) {
    this.lag.set(topic, records);
  }

  /** Whether the partition's checkpoint is due. */
  due(nowMs: number, policy: CheckpointPolicy): boolean {
    if (this.changedSinceMs === undefined) return false;
    if (this.eventsSince >= policy.events) return true;
    if ([...this.lag.values()].some((records) => records > policy.events / 10)) return false;
    return (
      nowMs - this.changedSinceMs >= policy.intervalMs || nowMs - this.lastAppliedMs >= policy.intervalMs / 10
    );
  }

  /** Hands what waits for a checkpoint to one being taken; the ledger holds only what comes after it. */
  take(): Taken {
    const taken = {
      events: this.eventsSince,
      changedSinceMs: this.changedSinceMs,
      nudged: this.nudged,
    };
    this.eventsSince = 0;
    this.changedSinceMs = undefined;
    this.nudged = [];
    return taken;
  }

  /** Takes back what a checkpoint not stored had taken: it waits for the next one, with what came since. */
  putBack(taken: Taken) {
    this.eventsSince += taken.events;
    if (taken.changedSinceMs !== undefined)
      this.changedSinceMs = Math.min(taken.changedSinceMs, this.changedSinceMs ?? Infinity);
    this.nudged = [...taken.nudged, ...this.nudged];
  }

  /**
   * A checkpoint of the partition was stored: each topic's row is now as it says. The actors may be further on
   * (it was taken while they went on); a topic's first position is where its first run starts.
   */
  checkpointed(stored: ReadonlyMap<string, StoredPosition>, segmentSeq: number) {
    for (const [topic, position] of stored) {
      const at = this.position(topic);
      at.stored = position;
      at.nextOffset ??= position.nextOffset;
      at.ruleSeq = position.ruleSeq;
    }
    this.segmentSeq = segmentSeq;
  }
}
