/**
 * What the replay workflows (dry runs and backfills) share with their callers (the API, the worker, operations
 * in the Temporal UI): their ids, inputs, status, signals, query and search attributes.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** `backfill-<ruleId>-v<version>` (CONTRACT §6); a backfill run again reuses it, each run a replay of its own. */
export const backfillWorkflowId = (ruleId: string, version: number) => `backfill-${ruleId}-v${version}`;

export const dryRunWorkflowId = (dryRunId: string) => `dry-run-${dryRunId}`;

/** The Kafka header on a backfill's unlock records: their rewards are the backfill's to start, not the starter's. */
export const BACKFILL_HEADER = 'achievements-backfill';

/** How a replay workflow runs; what it replays is in its `replays` row. */
export interface ReplayInput {
  replayId: string;
  /** How long one replay activity works before it checkpoints and reports (a backfill's). */
  chunkMs: number;
  /** At most this many records per replay activity as well, when set. */
  chunkRecords?: number;
  /** A workflow history this long continues as new (Temporal suggests it too). */
  maxHistoryLength: number;
  /** A replay activity silent this long is taken for dead (its worker crashed) and run again elsewhere. */
  heartbeatTimeoutMs: number;
}

export type BackfillPhase = 'planning' | 'replaying' | 'merging' | 'awarding' | 'done' | 'cancelled';

export interface PartitionProgress {
  partition: number;
  eventsReplayed: number;
  /** The records between where the replay began and where it must reach (a backfill's moves with live traffic). */
  eventsTotal: number;
  clientsTouched: number;
  status: 'replaying' | 'caught-up' | 'merged';
}

/** What a replay workflow shows operations (query `replayStatus`, the Temporal UI's current details). */
export interface ReplayStatus {
  phase: BackfillPhase;
  paused: boolean;
  partitions: PartitionProgress[];
  unlocksFound: number;
  unlocksCorrected: number;
  awarded: number;
  pointsGranted: number;
  cancelReason: string | null;
}

export const pauseBackfillSignal = defineSignal('pauseBackfill');
export const resumeBackfillSignal = defineSignal('resumeBackfill');
export const cancelReplaySignal = defineSignal<[string]>('cancelReplay');
export const replayStatusQuery = defineQuery<ReplayStatus>('replayStatus');

export const REPLAY_SEARCH_ATTRIBUTES = {
  phase: defineSearchAttributeKey('replayPhase', SearchAttributeType.KEYWORD),
  shareDone: defineSearchAttributeKey('replayShareDone', SearchAttributeType.DOUBLE),
  eventsReplayed: defineSearchAttributeKey('replayEventsReplayed', SearchAttributeType.INT),
  clientsTouched: defineSearchAttributeKey('replayClientsTouched', SearchAttributeType.INT),
};
