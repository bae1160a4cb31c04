import { z } from '@hono/zod-openapi';
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

/** Answers with `application/problem+json`, typed as the route's documented problem response. */
export function problem<S extends ContentfulStatusCode>(c: Context, body: Problem & { status: S }) {
  return c.json({ type: 'about:blank', ...body }, body.status, {
    'Content-Type': 'application/problem+json',
  });
}

export const problemSchema = z
  .looseObject({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string() })
  .openapi('Problem');

/** An OpenAPI response answered as problem+json. */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** What any route may answer at the edge, whatever it does: a body too large, or no answer in time. */
export const EDGE_RESPONSES = {
  413: problemResponse(
    'The request body is over 64 KiB (1 MiB for rules; for segment imports, over what 100 000 ids of 128 characters take in JSON)',
  ),
  503: problemResponse('The request took too long, or a dependency is unavailable; retry later'),
};

/** What a route behind a token or a signature may answer besides its own results. */
export const GUARDED_RESPONSES = {
  ...EDGE_RESPONSES,
  401: problemResponse('Missing, malformed, expired or over-long token, or a bad signature'),
  429: {
    ...problemResponse('Too many requests, or too many failed authentications from this source'),
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' as const } } },
  },
};
