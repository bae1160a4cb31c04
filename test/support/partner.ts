import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, sendSignedCallback } from '../../platform/partner-side.js';
import { signatureMatches } from '../../platform/signature.js';
import type { PartnerRewardRequest } from '../../workflows/partner-request.js';

/** What a partner's callback says: its voucher, or why not. */
export type PartnerAnswer =
  { status: 'fulfilled'; voucherCode: string } | { status: 'rejected'; reason: string };

/**
 * How the fake partner treats one reward: accept and call back, refuse, fail first, never call back, hang
 * (take the request and never answer, as a partner whose backend is stuck), or answer anyway (take the
 * request, answer it with a 500 or not at all, yet call back once, as a partner whose answer is lost on the
 * way back).
 */
export type PartnerBehaviour =
  | { kind: 'fulfil'; voucherCode: string }
  | { kind: 'reject-callback'; reason: string }
  | { kind: 'refuse'; status: number }
  | { kind: 'fail-first'; failures: number; voucherCode: string }
  | { kind: 'silent' }
  | { kind: 'hang' }
  | { kind: 'answer-anyway'; request: 'fail' | 'hang'; answer: PartnerAnswer };

export interface ReceivedRequest {
  body: PartnerRewardRequest;
  signatureValid: boolean;
}

/**
 * A partner system on a local port: it checks each request's signature, answers as the test told it to for
 * that reward (`otherwise` for rewards it was told nothing about), and calls back to the request's
 * callbackUrl, signed with the shared secret. `close` shuts its port; `reopen`
 * listens on the same one again, as a partner back from an outage.
 */
export async function startFakePartner(secret: string, otherwise: PartnerBehaviour = { kind: 'silent' }) {
  const behaviours = new Map<string, PartnerBehaviour>();
  const received: ReceivedRequest[] = [];
  let open = 0;
  let mostOpen = 0;
  const callbackStatuses: number[] = [];

  /**
   * Calls back, and again every half second for up to two minutes while the engine cannot take it (no answer,
   * or a 5xx: an API instance restarting), as CONTRACT §5 asks of partners; notes the status it settled on.
   */
  const callBack = async (request: PartnerRewardRequest, result: object) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await sendSignedCallback(secret, request.callbackUrl, request.rewardId, result).catch(
        () => 0,
      );
      if ((status > 0 && status < 500) || Date.now() > deadline) {
        callbackStatuses.push(status);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const timestamp = String(request.headers['x-timestamp'] ?? '');
      const signature = String(request.headers['x-signature'] ?? '');
      const body = JSON.parse(raw) as PartnerRewardRequest;
      const signatureValid = signatureMatches(secret, timestamp, raw, signature);
      received.push({ body, signatureValid });
      const behaviour = behaviours.get(body.rewardId) ?? otherwise;
      if (behaviour.kind === 'hang') {
        mostOpen = Math.max(mostOpen, ++open);
        response.on('close', () => open--);
        return;
      }
      const attempts = received.filter((r) => r.body.rewardId === body.rewardId).length;
      if (!signatureValid) return response.writeHead(401).end('bad signature');
      if (behaviour.kind === 'answer-anyway') {
        if (behaviour.request === 'fail') response.writeHead(500).end('internal error');
        if (attempts === 1) setTimeout(() => void callBack(body, behaviour.answer), 50);
        return;
      }
      if (behaviour.kind === 'refuse') return response.writeHead(behaviour.status).end('no such offer');
      if (behaviour.kind === 'fail-first' && attempts <= behaviour.failures)
        return response.writeHead(503).end('down');
      response.writeHead(202).end();
      if (behaviour.kind === 'fulfil' || behaviour.kind === 'fail-first') {
        setTimeout(
          () => void callBack(body, { status: 'fulfilled', voucherCode: behaviour.voucherCode }),
          50,
        );
      }
      if (behaviour.kind === 'reject-callback') {
        setTimeout(() => void callBack(body, { status: 'rejected', reason: behaviour.reason }), 50);
      }
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    behave: (rewardId: string, behaviour: PartnerBehaviour) => behaviours.set(rewardId, behaviour),
    requestsFor: (rewardId: string) => received.filter((r) => r.body.rewardId === rewardId),
    callBack,
    callbackStatuses,
    /** The most requests that were hanging at once. */
    mostOpen: () => mostOpen,
    close,
    reopen: () => listen(port),
  };
}
