import { ApplicationFailure } from '@temporalio/activity';
import type { PartnerEndpoint } from '../platform/partner-config.js';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { clientRef } from '../platform/signature.js';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerOptions } from './circuit-breaker.js';
import { sendPartnerRequest } from './partner-request.js';
import type { RewardInput } from './reward-contract.js';

export interface PartnerActivityDependencies {
  partners: ReadonlyMap<string, PartnerEndpoint>;
  pseudonymKey: string;
  publicBaseUrl: string;
  breaker?: BreakerOptions;
}

const refused = (error: unknown) => error instanceof ApplicationFailure && error.nonRetryable;

/**
 * The partner activities. They run on each partner's own task queue, on workers bounded per partner, so a
 * partner that is slow or down never takes the slots that granting points needs; each partner also has a
 * circuit breaker in this process.
 */
export function createPartnerActivities(deps: PartnerActivityDependencies) {
  const breakers = new Map<string, CircuitBreaker>();
  const breakerOf = (partnerId: string) => {
    if (!breakers.has(partnerId))
      breakers.set(partnerId, new CircuitBreaker(deps.breaker ?? DEFAULT_BREAKER));
    return breakers.get(partnerId)!;
  };
  const log = logger('partner-requests');
  /** Counts the request's outcome and logs it under the unlock's correlation id. */
  const count = (input: RewardInput & { partnerId: string }, outcome: string, error?: unknown) => {
    metrics.partnerRequests.inc({ partner: input.partnerId, outcome });
    const line = { correlationId: input.rewardId, partner: input.partnerId, outcome };
    if (outcome === 'accepted') log.info(line, 'partner asked for its reward');
    else log.warn({ ...line, err: error }, 'partner request not accepted');
  };

  return {
    /** Asks the partner for its reward (signed, CONTRACT §5), naming the client only by its pseudonym. */
    async requestPartnerReward(input: RewardInput & { partnerId: string }): Promise<void> {
      const partner = deps.partners.get(input.partnerId);
      if (!partner) {
        throw ApplicationFailure.nonRetryable(
          `partner ${input.partnerId} has no PARTNER_<ID>_URL configured`,
          'UnknownPartner',
        );
      }
      const breaker = breakerOf(partner.id);
      const waitMs = breaker.blockedForMs();
      if (waitMs !== undefined) {
        count(input, 'circuit_open');
        throw ApplicationFailure.create({
          type: 'PartnerCircuitOpen',
          message: `${partner.id} keeps failing; not called again for ${Math.ceil(waitMs / 1000)} s`,
          nextRetryDelay: waitMs,
        });
      }
      try {
        await sendPartnerRequest(partner, {
          rewardId: input.rewardId,
          partnerId: input.partnerId,
          clientRef: clientRef(deps.pseudonymKey, input.partnerId, input.clientId),
          achievementId: input.achievementId,
          callbackUrl: `${deps.publicBaseUrl}/v1/partners/${input.partnerId}/callbacks`,
        });
        breaker.succeeded();
        count(input, 'accepted');
      } catch (error) {
        // A refusal is an answer: the partner is up, this request is what it does not want.
        if (refused(error)) breaker.succeeded();
        else breaker.failed();
        count(input, refused(error) ? 'refused' : 'failed', error);
        throw error;
      }
    },
  };
}

export type PartnerActivities = ReturnType<typeof createPartnerActivities>;
