import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>`, as CONTRACT §5 signs partner traffic. */
export function sign(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** Compares in constant time, so the check leaks nothing about the expected signature. */
export function signatureMatches(
  secret: string,
  timestamp: string,
  rawBody: string,
  signature: string,
): boolean {
  const expected = Buffer.from(sign(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A stable pseudonym of a client for one partner: partners never see the bank's id, nor can they link clients. */
export function clientRef(key: string, partnerId: string, clientId: string): string {
  return createHmac('sha256', key).update(`${partnerId}\u0000${clientId}`).digest('base64url').slice(0, 22);
}
