import { createRoute, z } from '@hono/zod-openapi';
import { logger } from '../platform/logger.js';
import { signatureMatches } from '../platform/signature.js';
import { identifier, plainText } from '../platform/text.js';
import type { PartnerCallback, RewardStatus } from '../workflows/reward-contract.js';
import { GUARDED_RESPONSES, problem, problemResponse } from './problem.js';
import { createRouter } from './router.js';

/** How far a callback's X-Timestamp may be from now (CONTRACT §5). */
const TIMESTAMP_WINDOW_S = 300;

/**
 * A voucher code reaches the app as the partner sent it, so it must be a code and nothing else: not a URL
 * (phishing), not markup, and not a run of digits a card number could hide in.
 */
const voucherCode = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$/,
    'expected 4 to 40 letters, digits, - or _ (no URL, markup or spaces)',
  )
  .refine(
    (code) => !/\d{12,}/.test(code.replace(/[-_]/g, '')),
    'must not look like a card number (12 digits or more)',
  );

const callbackBody = z
  .object({
    rewardId: identifier(),
    status: z.enum(['fulfilled', 'rejected']),
    voucherCode: voucherCode.optional(),
    reason: plainText(1000).optional(),
  })
  .refine((body) => body.status !== 'fulfilled' || body.voucherCode, {
    message: 'a fulfilled reward needs its voucherCode',
    path: ['voucherCode'],
  });

export interface PartnerCallbackDependencies {
  /** Each partner's shared secret (and the one being rotated out, if any), by partner id. */
  partners: ReadonlyMap<string, { readonly secret: string; readonly previousSecret?: string }>;
  /** The reward's partner, workflow and stored status, or undefined when there is no such reward. */
  findReward: (
    rewardId: string,
  ) => Promise<{ partnerId: string | null; workflowId: string; status: RewardStatus } | undefined>;
  /**
   * Hands the result to the reward's workflow: true once Temporal has recorded it, false when the workflow has
   * already ended (and takes nothing more).
   */
  deliver: (workflowId: string, callback: PartnerCallback) => Promise<boolean>;
  nowMs?: () => number;
}

const route = createRoute({
  method: 'post',
  path: '/v1/partners/{partnerId}/callbacks',
  operationId: 'receivePartnerCallback',
  // Signed by the partner's secret, not a token (CONTRACT §5).
  security: [{ partnerSignature: [] }],
  tags: ['partners'],
  summary: "A partner's answer to a reward request, signed like the request (CONTRACT §5)",
  description:
    'Body `{ rewardId, status: "fulfilled" | "rejected", voucherCode?, reason? }`, with headers `X-Timestamp` (unix ' +
    'seconds, within 5 minutes) and `X-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>`.',
  request: {
    params: z.object({ partnerId: identifier(64) }),
    // A reference rather than the schema itself: the body is checked only after its signature, by hand.
    body: {
      content: { 'application/json': { schema: { $ref: '#/components/schemas/PartnerCallback' } } },
      required: true,
    },
  },
  responses: {
    202: { description: 'The reward workflow has the result (a repeated callback changes nothing)' },
    400: problemResponse('The body does not follow the callback schema; the detail names the field'),
    404: problemResponse('Unknown partner, or no such reward of this partner'),
    409: problemResponse(
      'The reward ended without a partner’s answer (timed out, failed or cancelled); the callback changes nothing',
    ),
    ...GUARDED_RESPONSES,
  },
});

/** `POST /v1/partners/{partnerId}/callbacks`: verify who sent it and about what, then deliver it. */
export function partnerCallbackRoutes(deps: PartnerCallbackDependencies) {
  const now = deps.nowMs ?? Date.now;
  const app = createRouter();
  app.openAPIRegistry.register('PartnerCallback', callbackBody);
  return app.openapi(route, async (c) => {
    const { partnerId } = c.req.valid('param');
    const partner = deps.partners.get(partnerId);
    if (!partner)
      return problem(c, {
        title: 'Unknown partner',
        status: 404,
        detail: `No partner ${partnerId} is configured.`,
      });
    const timestamp = c.req.header('X-Timestamp') ?? '';
    const signature = c.req.header('X-Signature') ?? '';
    const rawBody = await c.req.text();
    if (!/^\d+$/.test(timestamp) || Math.abs(now() / 1000 - Number(timestamp)) > TIMESTAMP_WINDOW_S) {
      return problem(c, {
        title: 'Stale or missing timestamp',
        status: 401,
        detail: 'Send X-Timestamp as unix seconds within 5 minutes of now.',
      });
    }
    const secrets = [partner.secret, ...(partner.previousSecret ? [partner.previousSecret] : [])];
    if (!secrets.some((secret) => signatureMatches(secret, timestamp, rawBody, signature))) {
      return problem(c, {
        title: 'Bad signature',
        status: 401,
        detail: 'X-Signature must be sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>.',
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      return problem(c, { title: 'Invalid body', status: 400, detail: 'The body must be JSON.' });
    }
    const parsed = callbackBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return problem(c, {
        title: 'Invalid body',
        status: 400,
        detail: `${issue.path.join('.') || 'body'}: ${issue.message}`,
      });
    }
    const { rewardId, ...result } = parsed.data;
    const reward = await deps.findReward(rewardId);
    if (!reward || reward.partnerId !== partnerId) {
      return problem(c, {
        title: 'Unknown reward',
        status: 404,
        detail: `Partner ${partnerId} has no reward ${rewardId}.`,
      });
    }
    const about = { requestId: c.get('requestId'), correlationId: rewardId, partner: partnerId };
    if (!(await deps.deliver(reward.workflowId, result))) {
      // Its workflow has ended: after the partner's answer, this is a repeat; otherwise the reward gave up on
      // the partner (timed out, failed, cancelled), and the partner must learn its answer was not taken.
      const status = (await deps.findReward(rewardId))?.status ?? reward.status;
      if (status !== 'fulfilled' && status !== 'rejected') {
        logger('partner-callbacks').warn({ ...about, status }, 'partner callback after the reward ended');
        return problem(c, {
          title: 'Reward already ended',
          status: 409,
          detail: `Reward ${rewardId} no longer waits for your answer (it is ${status}); this callback changes nothing.`,
        });
      }
    }
    logger('partner-callbacks').info({ ...about, status: result.status }, 'partner callback delivered');
    return c.body(null, 202);
  });
}
