import { ApplicationFailure } from '@temporalio/activity';
import type { PartnerEndpoint } from '../platform/partner-config.js';
import { sign } from '../platform/signature.js';

export interface PartnerRewardRequest {
  rewardId: string;
  partnerId: string;
  clientRef: string;
  achievementId: string;
  callbackUrl: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Sends the signed `POST <partner>/rewards` of CONTRACT §5. Any 2xx is acceptance. A 4xx is the partner
 * refusing this request: a non-retryable failure. A timeout, a network error or a 5xx throws a plain error,
 * which Temporal retries with backoff.
 */
export async function sendPartnerRequest(
  partner: PartnerEndpoint,
  request: PartnerRewardRequest,
  nowMs = Date.now(),
) {
  const body = JSON.stringify(request);
  const timestamp = String(Math.floor(nowMs / 1000));
  const response = await fetch(`${partner.url}/rewards`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Timestamp': timestamp,
      'X-Signature': sign(partner.secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const detail = (await response.text()).slice(0, 300);
  if (response.ok) return;
  if (response.status >= 400 && response.status < 500) {
    throw ApplicationFailure.nonRetryable(
      `${partner.id} answered ${response.status}: ${detail}`,
      'PartnerRefused',
    );
  }
  throw new Error(`${partner.id} answered ${response.status}: ${detail}`);
}
