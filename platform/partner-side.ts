import type { IncomingMessage } from 'node:http';
import { sign } from './signature.js';

/**
 * The partner's half of CONTRACT §5, shared by the local sandbox partner and the tests' fake partner, so both
 * speak the protocol exactly as a real partner must.
 */

/** The raw body of a request, as the signature covers it byte for byte. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Calls the engine back about `rewardId`, signed with the partner's secret; answers the engine's HTTP status. */
export async function sendSignedCallback(
  secret: string,
  callbackUrl: string,
  rewardId: string,
  result: object,
): Promise<number> {
  const body = JSON.stringify({ rewardId, ...result });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await fetch(callbackUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Timestamp': timestamp,
      'X-Signature': sign(secret, timestamp, body),
    },
    body,
  });
  return response.status;
}
