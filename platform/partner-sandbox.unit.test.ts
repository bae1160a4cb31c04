import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARTNER_LIMITS } from './partner-config.js';
import { readBody } from './partner-side.js';
import { signatureMatches } from './signature.js';
import { sendPartnerRequest } from '../workflows/partner-request.js';
import { startSandboxPartner, startSandboxPartners, type SandboxPartner } from './partner-sandbox.js';

const started: SandboxPartner[] = [];
afterAll(async () => {
  for (const sandbox of started) await sandbox.close();
});

/** The engine's callback route as the sandbox meets it: every callback, and whether its signature verifies. */
async function callbackReceiver(secret: () => string) {
  const received: { body: unknown; signed: boolean }[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const signed = signatureMatches(
        secret(),
        String(request.headers['x-timestamp']),
        raw,
        String(request.headers['x-signature']),
      );
      received.push({ body: JSON.parse(raw), signed });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/partners/coffee-house/callbacks`;
  return { url, received, close: () => server.close() };
}

/** The sandbox as the engine's PARTNER_COFFEE_HOUSE_* settings name it. */
const endpointOf = (sandbox: SandboxPartner) => ({
  id: 'coffee-house',
  url: sandbox.url,
  secret: sandbox.secret,
  ...DEFAULT_PARTNER_LIMITS,
});

describe('the sandbox partner of npm start', () => {
  it('accepts a signed request and calls back, signed, with a fulfilled voucher', async () => {
    const sandbox = await startSandboxPartner('coffee-house', 10);
    started.push(sandbox);
    const receiver = await callbackReceiver(() => sandbox.secret);
    const endpoint = endpointOf(sandbox);
    const request = {
      rewardId: 'a20392d6-6fdd-5ea5-8f98-3ab95dceb323',
      partnerId: 'coffee-house',
      clientRef: 'ref-1',
      achievementId: 'coffee-lover',
      callbackUrl: receiver.url,
    };
    await sendPartnerRequest(endpoint, request);
    await expect.poll(() => receiver.received.length).toBe(1);
    expect(receiver.received[0]).toEqual({
      body: { rewardId: request.rewardId, status: 'fulfilled', voucherCode: 'SANDBOX-a20392d6' },
      signed: true,
    });
    // A request signed with another secret is refused: a 4xx the workflow does not retry.
    await expect(sendPartnerRequest({ ...endpoint, secret: 'another' }, request)).rejects.toThrow(
      /answered 401/,
    );
    receiver.close();
  });

  it('calls back at once, when closed, for every request it has not answered yet', async () => {
    const sandbox = await startSandboxPartner('coffee-house', 3_600_000);
    const receiver = await callbackReceiver(() => sandbox.secret);
    const endpoint = endpointOf(sandbox);
    const rewardIds = ['d1f9c2a0-0000-5000-8000-000000000001', 'd1f9c2a0-0000-5000-8000-000000000002'];
    for (const rewardId of rewardIds) {
      await sendPartnerRequest(endpoint, {
        rewardId,
        partnerId: 'coffee-house',
        clientRef: 'ref-2',
        achievementId: 'coffee-lover',
        callbackUrl: receiver.url,
      });
    }
    expect(receiver.received).toEqual([]);
    await sandbox.close();
    expect(receiver.received.map(({ body }) => (body as { rewardId: string }).rewardId).sort()).toEqual(
      rewardIds,
    );
    receiver.close();
  });

  it('stands in only for partners without a URL, and never in production', async () => {
    const env: NodeJS.ProcessEnv = { PARTNER_TEA_HOUSE_URL: 'https://tea.example' };
    const sandboxes = await startSandboxPartners(['coffee-house', 'coffee-house', 'tea-house'], env, 10);
    started.push(...sandboxes);
    expect(sandboxes.map((s) => s.id)).toEqual(['coffee-house']);
    expect(env.PARTNER_COFFEE_HOUSE_URL).toBe(sandboxes[0]!.url);
    expect(env.PARTNER_COFFEE_HOUSE_SECRET).toBe(sandboxes[0]!.secret);
    expect(env.PARTNER_TEA_HOUSE_URL).toBe('https://tea.example');
    expect(await startSandboxPartners(['coffee-house'], { NODE_ENV: 'production' }, 10)).toEqual([]);
  });
});
