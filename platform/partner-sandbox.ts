import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { partnerEnvName } from './partner-config.js';
import { logger } from './logger.js';
import { readBody, sendSignedCallback } from './partner-side.js';
import { signatureMatches } from './signature.js';
import { parsedJson } from './text.js';

const rewardRequest = z.object({ rewardId: z.string().min(1), callbackUrl: z.url() });

export interface SandboxPartner {
  id: string;
  url: string;
  secret: string;
  close: () => Promise<void>;
}

/**
 * A stand-in for partner `id` on loopback, for local use only: it takes CONTRACT §5's signed
 * `POST /rewards`, refuses a bad signature with 401, accepts with 202, and `delayMs` later calls back, signed,
 * with `fulfilled` and a voucher code, so a newcomer's local unlocks reach `fulfilled` with no partner running.
 * Closing it calls back at once for every request it has not answered yet.
 */
export async function startSandboxPartner(id: string, delayMs: number): Promise<SandboxPartner> {
  const log = logger('partner-sandbox');
  const secret = randomBytes(32).toString('hex');
  const callBack = async (rewardId: string, callbackUrl: string) => {
    const status = await sendSignedCallback(secret, callbackUrl, rewardId, {
      status: 'fulfilled',
      voucherCode: `SANDBOX-${rewardId.slice(0, 8)}`,
    });
    log.info({ partner: id, correlationId: rewardId, status }, 'sandbox partner called back');
  };
  const owed = new Map<string, { callbackUrl: string; timer: NodeJS.Timeout }>();
  const settle = async (rewardId: string) => {
    const debt = owed.get(rewardId);
    if (!debt) return;
    owed.delete(rewardId);
    clearTimeout(debt.timer);
    await callBack(rewardId, debt.callbackUrl).catch((error: unknown) =>
      log.warn({ err: error, partner: id, correlationId: rewardId }, 'sandbox partner could not call back'),
    );
  };
  const server: Server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const timestamp = String(request.headers['x-timestamp'] ?? '');
      const signature = String(request.headers['x-signature'] ?? '');
      if (request.method !== 'POST' || request.url !== '/rewards') return response.writeHead(404).end();
      if (!signatureMatches(secret, timestamp, raw, signature))
        return response.writeHead(401).end('bad signature');
      const parsed = rewardRequest.safeParse(parsedJson(raw));
      if (!parsed.success) return response.writeHead(400).end('not a reward request');
      response.writeHead(202).end();
      const { rewardId, callbackUrl } = parsed.data;
      owed.set(rewardId, { callbackUrl, timer: setTimeout(() => void settle(rewardId), delayMs) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    id,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secret,
    // What it still owes is answered now, while the API is still up to take it (it stops after the sandboxes).
    close: async () => {
      await Promise.all([...owed.keys()].map(settle));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * `npm start` on a laptop: a sandbox for each partner the catalog names and no PARTNER_<ID>_URL configures,
 * put into the environment as if configured (never in production). Answers the sandboxes started.
 */
export async function startSandboxPartners(
  partnerIds: Iterable<string>,
  env: NodeJS.ProcessEnv,
  delayMs: number,
): Promise<SandboxPartner[]> {
  if (env.NODE_ENV === 'production') return [];
  const sandboxes: SandboxPartner[] = [];
  for (const id of new Set(partnerIds)) {
    const name = partnerEnvName(id);
    if (env[`PARTNER_${name}_URL`]) continue;
    const sandbox = await startSandboxPartner(id, delayMs);
    env[`PARTNER_${name}_URL`] = sandbox.url;
    env[`PARTNER_${name}_SECRET`] = sandbox.secret;
    sandboxes.push(sandbox);
  }
  return sandboxes;
}
