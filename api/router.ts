import { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { problem } from './problem.js';

/** A router whose request validation failures answer problem+json naming the field to fix. */
export function createRouter<E extends Env = Env>() {
  return new OpenAPIHono<E>({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const issue = result.error.issues[0]!;
      const field = issue.path.join('.') || 'request';
      return problem(c, { title: 'Bad Request', status: 400, detail: `${field}: ${issue.message}` });
    },
  });
}
