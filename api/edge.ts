import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { timeout } from 'hono/timeout';
import { HTTPException } from 'hono/http-exception';
import { problem } from './problem.js';

export interface EdgeOptions {
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** A request not answered by then gets 503. */
  requestTimeoutMs: number;
  /** Origins allowed by CORS; none (the default) means no cross-origin access at all. */
  corsOrigins: string[];
}

export const DEFAULT_EDGE: EdgeOptions = {
  maxBodyBytes: 64 * 1024,
  requestTimeoutMs: 10_000,
  corsOrigins: [],
};

/** The protections every request passes: secure headers, closed CORS, a body size limit and a timeout. */
export function edgeMiddleware(options: EdgeOptions): MiddlewareHandler[] {
  const tooLarge = (c: Context) =>
    problem(c, {
      title: 'Payload Too Large',
      status: 413,
      detail: `Send at most ${options.maxBodyBytes} bytes.`,
    });
  const middleware: MiddlewareHandler[] = [
    secureHeaders(),
    bodyLimit({ maxSize: options.maxBodyBytes, onError: tooLarge }),
    timeout(
      options.requestTimeoutMs,
      () =>
        new HTTPException(503, {
          message: `The request took longer than ${options.requestTimeoutMs} ms; try again.`,
        }),
    ),
  ];
  if (options.corsOrigins.length > 0) middleware.unshift(cors({ origin: options.corsOrigins, maxAge: 600 }));
  return middleware;
}
