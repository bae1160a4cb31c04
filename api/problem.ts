import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An RFC 9457 problem detail; `detail` tells the caller what to fix. */
export interface Problem {
  type?: string;
  title: string;
  status: ContentfulStatusCode;
  detail: string;
  [extension: string]: unknown;
}

/** Answers with `application/problem+json`. */
export function problem(c: Context, body: Problem): Response {
  return c.body(JSON.stringify({ type: 'about:blank', ...body }), body.status, {
    'Content-Type': 'application/problem+json',
  });
}
