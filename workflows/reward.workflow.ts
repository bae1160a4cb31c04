import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RewardActivities } from './activities.js';
import type { PartnerActivities } from './partner-activities.js';
import {
  cancelRewardSignal,
  partnerCallbackSignal,
  partnerTaskQueue,
  resendPartnerRequestSignal,
  rewardStatusQuery,
  SEARCH_ATTRIBUTES,
  type PartnerCallback,
  type RewardInput,
  type RewardState,
  type RewardStatus,
} from './reward-contract.js';

/** Short PostgreSQL writes run as local activities: no round trip through the server's task queues. */
const ledger = proxyLocalActivities<RewardActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The partner's own task queue. A partner that times out or answers 5xx is asked again with backoff (or when
 * its circuit closes) until `partnerRetryMs` has passed; a 4xx fails at once (non-retryable).
 */
function partnerOf(input: RewardInput & { partnerId: string }) {
  return proxyActivities<PartnerActivities>({
    taskQueue: partnerTaskQueue(workflowInfo().taskQueue, input.partnerId),
    startToCloseTimeout: '20 seconds',
    scheduleToCloseTimeout: input.partnerRetryMs,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
}

/**
 * Marks the histories in which a partner's callback (or a cancel) that comes while its request is still being
 * asked stops the asking and decides. A history recorded before has no marker: replayed, it goes on waiting
 * for the request as it did, and a reward still running from then takes such a callback if its request fails.
 */
const ANSWER_WHILE_ASKING = 'partner-answer-while-asking';

/**
 * Asks the partner (retried as `partnerOf` says) until it accepts, or until `decided` holds: a partner may
 * take a request whose answer never reached us (a timeout, a 5xx) and call back while we still retry it. Its
 * callback (or a cancel) then stops the asking, which rejects as cancelled.
 */
async function askPartner(
  partner: ReturnType<typeof partnerOf>,
  request: RewardInput & { partnerId: string },
  decided: () => boolean,
) {
  const scope = new CancellationScope();
  let asked = false;
  const asking = scope.run(() => partner.requestPartnerReward(request));
  // Only the request is cancelled with the workflow, as before: its failure then ends the asking.
  const answered = CancellationScope.nonCancellable(() => condition(() => asked || decided()));
  await Promise.race([asking.finally(() => void (asked = true)), answered]);
  if (!asked && patched(ANSWER_WHILE_ASKING)) scope.cancel();
  await asking;
}

/**
 * Marks the histories in which the points and the reward's first status are stored by one local activity, in
 * one transaction (`grantReward`). A history recorded before has two (`grantPoints`, then `recordReward`), and a
 * reward still running from then is replayed as it was recorded.
 */
const GRANT_WITH_REWARD = 'grant-with-reward';

/** The partner's refusal (a 4xx), or undefined when the request failed otherwise. */
function refusal(error: ActivityFailure): string | undefined {
  return error.cause instanceof ApplicationFailure && error.cause.nonRetryable
    ? error.cause.message
    : undefined;
}

/** Why the partner could not be reached: the last attempt's failure, under Temporal's timeout. */
function unreachable(error: ActivityFailure): string {
  const timeout = error.cause;
  const last = timeout?.cause instanceof Error ? timeout.cause.message : (timeout?.message ?? error.message);
  return `the partner could not be reached before its retries ran out: ${last}`;
}

/**
 * One unlock's reward (CONTRACT §5): grant the points, and where the achievement names a partner, ask the
 * partner for its reward and wait durably for its callback (or PARTNER_CALLBACK_TIMEOUT), then notify the
 * client of a fulfilled reward. Operations read `rewardStatus` and may resend the request or cancel.
 */
export async function rewardWorkflow(input: RewardInput): Promise<RewardState> {
  const state: RewardState = { status: 'granting', voucherCode: null, reason: null };
  let callback: PartnerCallback | undefined;
  let cancelReason: string | undefined;
  let resendAsked = false;
  setHandler(rewardStatusQuery, () => state);
  // The first callback decides; a repeated one changes nothing (CONTRACT §5).
  setHandler(partnerCallbackSignal, (received) => void (callback ??= received));
  setHandler(cancelRewardSignal, (reason) => void (cancelReason ??= reason));
  setHandler(resendPartnerRequestSignal, () => void (resendAsked = true));

  const settle = async (status: RewardStatus, details: Partial<RewardState> = {}) => {
    Object.assign(state, { status, ...details });
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.rewardStatus, value: status }]);
    await ledger.recordReward({ ...input, ...state });
  };

  const first: RewardStatus = input.partnerId ? 'requested' : 'granted';
  const together = patched(GRANT_WITH_REWARD);
  const erased = together
    ? await ledger.grantReward({ ...input, ...state, status: first })
    : await ledger.grantPoints(input);
  // The client's data was erased since the unlock (CONTRACT §7): nothing is granted, asked for or told.
  if (erased) {
    state.status = 'cancelled';
    state.reason = 'the client’s data was erased';
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.rewardStatus, value: state.status }]);
    return state;
  }
  if (together) {
    state.status = first;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.rewardStatus, value: first }]);
  } else await settle(first);
  if (!input.partnerId) return state;
  const request = { ...input, partnerId: input.partnerId };
  const partner = partnerOf(request);
  const decided = () => callback !== undefined || cancelReason !== undefined;
  const ask = () => askPartner(partner, request, decided);
  const deadline = Date.parse(workflowInfo().startTime.toISOString()) + input.callbackTimeoutMs;
  try {
    await ask();
    while (!decided()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || !(await condition(() => decided() || resendAsked, remaining))) {
        await settle('timed_out', { reason: 'no callback from the partner in time' });
        return state;
      }
      if (resendAsked && !decided()) {
        resendAsked = false;
        await ask();
      }
    }
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // Unless the partner called back (or operations cancelled) while its request failed: that decides, below.
    if (!decided() || !patched(ANSWER_WHILE_ASKING)) {
      const reason = refusal(error);
      if (reason !== undefined)
        await settle('rejected', { reason: `the partner refused the request: ${reason}` });
      else await settle('failed', { reason: unreachable(error) });
      return state;
    }
  }
  if (cancelReason !== undefined) {
    await settle('cancelled', { reason: cancelReason });
    return state;
  }
  const answer = callback!;
  if (answer.status === 'rejected') {
    await settle('rejected', { reason: answer.reason ?? 'rejected by the partner' });
    return state;
  }
  await settle('fulfilled', { voucherCode: answer.voucherCode ?? null });
  if (input.notify !== false) await ledger.notifyRewardFulfilled(input);
  return state;
}
