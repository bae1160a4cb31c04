import { CancellationScope, isCancellation, setHandler } from '@temporalio/workflow';
import {
  cancelReplaySignal,
  replayStatusQuery,
  type ReplayInput,
  type ReplayStatus,
} from './replay-contract.js';
import { replayActivities, showStatus, startingStatus } from './replay-workflow-parts.js';

const SIGNALS = 'Signal: `cancelReplay` (with a reason).';

/**
 * `dry-run-<id>` (CONTRACT §6): a rule over history from a time up to the partitions' ends when it began, with
 * no side effect but its result: how many clients would hold each level, and the points it would cost. Each
 * partition replays in one activity; one whose worker dies starts again elsewhere, so a second run of the same
 * dry run gives the same result.
 */
export async function dryRunWorkflow(input: ReplayInput): Promise<ReplayStatus> {
  const replay = replayActivities(input);
  const status = startingStatus();
  const show = () => showStatus(`Dry run ${input.replayId}`, status, SIGNALS);
  const replaying = new CancellationScope();
  setHandler(replayStatusQuery, () => status);
  setHandler(
    cancelReplaySignal,
    (reason) => {
      status.cancelReason = reason;
      replaying.cancel();
      show();
    },
    { description: 'Stops the dry run; it keeps what finished partitions found' },
  );
  try {
    await replaying.run(async () => {
      status.partitions = await replay.planReplay({ replayId: input.replayId });
      status.phase = 'replaying';
      show();
      await Promise.all(
        status.partitions.map(async (p) => {
          Object.assign(p, await replay.replayChunk({ replayId: input.replayId, partition: p.partition }));
          show();
        }),
      );
    });
    await replay.finishReplay({ replayId: input.replayId, status: 'done' });
    status.phase = 'done';
  } catch (error) {
    await CancellationScope.nonCancellable(async () => {
      if (!isCancellation(error)) {
        await replay.finishReplay({ replayId: input.replayId, status: 'failed', error: String(error) });
        throw error;
      }
      status.cancelReason ??= 'cancelled in the Temporal UI';
      await replay.finishReplay({ replayId: input.replayId, status: 'cancelled' });
      status.phase = 'cancelled';
    });
  }
  show();
  return status;
}
