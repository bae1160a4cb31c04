import {
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  cancelReplaySignal,
  pauseBackfillSignal,
  replayStatusQuery,
  resumeBackfillSignal,
  type ReplayInput,
  type ReplayStatus,
} from './replay-contract.js';
import { replayActivities, showStatus, startingStatus } from './replay-workflow-parts.js';

/** How long one award activity starts rewards before it reports. */
const AWARD_SLICE_MS = 60_000;

const SIGNALS =
  'Signals: `pauseBackfill`, `resumeBackfill`, `cancelReplay` (with a reason; only until the merge begins).';

/**
 * `backfill-<ruleId>-v<version>` (CONTRACT §6): replays an activated version over history from its
 * `backfillFrom`, partition by partition, up to where live processing stands; then merges each partition into
 * live state there (each event counted once across replay and live processing); then awards what it found by
 * its policy. Until the merge begins it can be paused and cancelled, and cancelled it leaves live state as if
 * it never ran; from the merge on it runs to its end. Its progress shows in the Temporal UI.
 */
export async function backfillWorkflow(input: ReplayInput, carried?: ReplayStatus): Promise<ReplayStatus> {
  const replay = replayActivities(input);
  const status = carried ?? startingStatus();
  const show = () => showStatus(`Backfill (replay ${input.replayId})`, status, SIGNALS);
  const replaying = new CancellationScope();
  setHandler(replayStatusQuery, () => status);
  setHandler(
    pauseBackfillSignal,
    () => {
      status.paused = true;
      show();
    },
    { description: 'Stops scheduling more replay, merge or award work until resumeBackfill' },
  );
  setHandler(
    resumeBackfillSignal,
    () => {
      status.paused = false;
      show();
    },
    { description: 'Goes on after pauseBackfill' },
  );
  setHandler(
    cancelReplaySignal,
    (reason) => {
      if (status.phase !== 'planning' && status.phase !== 'replaying') return;
      status.cancelReason = reason;
      replaying.cancel();
      show();
    },
    { description: 'Cancels the backfill before its merge; live state stays as if it never ran' },
  );
  const unpaused = () => condition(() => !status.paused);
  const longHistory = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > input.maxHistoryLength;

  try {
    if (status.phase === 'planning' || status.phase === 'replaying') {
      const caughtUp = await replaying.run(async () => {
        if (status.phase === 'planning')
          status.partitions = await replay.planReplay({ replayId: input.replayId });
        status.phase = 'replaying';
        show();
        let draining = false;
        await Promise.all(
          status.partitions.map(async (p) => {
            while (p.status === 'replaying' && !draining) {
              await condition(() => !status.paused || draining);
              if (draining) return;
              const chunk = {
                ms: input.chunkMs,
                ...(input.chunkRecords ? { records: input.chunkRecords } : {}),
              };
              Object.assign(
                p,
                await replay.replayChunk({ replayId: input.replayId, partition: p.partition, chunk }),
              );
              show();
              draining ||= longHistory();
            }
          }),
        );
        return status.partitions.every((p) => p.status !== 'replaying');
      });
      if (!caughtUp) return await continueAsNew<typeof backfillWorkflow>(input, status);
      status.phase = 'merging';
      show();
    }
    // The point of no return: the merge and the awards run to their end, whatever is asked.
    return await CancellationScope.nonCancellable(async () => {
      for (const p of status.partitions) {
        if (status.phase !== 'merging' || p.status === 'merged') continue;
        await unpaused();
        const merged = await replay.mergePartition({ replayId: input.replayId, partition: p.partition });
        Object.assign(p, {
          status: 'merged',
          eventsReplayed: merged.eventsReplayed,
          clientsTouched: merged.clientsTouched,
        });
        status.unlocksFound += merged.unlocksFound;
        status.unlocksCorrected += merged.unlocksCorrected;
        show();
      }
      status.phase = 'awarding';
      show();
      for (;;) {
        await unpaused();
        const awards = await replay.awardUnlocks({ replayId: input.replayId, maxMs: AWARD_SLICE_MS });
        status.awarded += awards.awarded;
        status.pointsGranted = awards.pointsGranted;
        show();
        if (awards.done) break;
        if (longHistory()) return await continueAsNew<typeof backfillWorkflow>(input, status);
      }
      await replay.finishReplay({ replayId: input.replayId, status: 'done' });
      status.phase = 'done';
      show();
      return status;
    });
  } catch (error) {
    if (error instanceof ContinueAsNew) throw error;
    return await CancellationScope.nonCancellable(async () => {
      if (isCancellation(error) && (status.phase === 'planning' || status.phase === 'replaying')) {
        status.cancelReason ??= 'cancelled in the Temporal UI';
        await replay.finishReplay({ replayId: input.replayId, status: 'cancelled' });
        status.phase = 'cancelled';
        show();
        return status;
      }
      await replay.finishReplay({ replayId: input.replayId, status: 'failed', error: String(error) });
      throw error;
    });
  }
}
