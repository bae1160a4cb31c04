import type { NotFoundHandler } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import type { RouterRoute } from 'hono/types';
import { problem } from './problem.js';

/**
 * Answers a request no route took: 405 with `Allow` when its path has routes under other methods (TRACE on a
 * read, DELETE on the catalog), as RFC 9110 asks, and 404 when nothing lives there. Built once from the app's
 * routes, after every one is registered. Middleware (`use`, method ALL) serves no method and is left out; HEAD
 * is allowed wherever GET is, since Hono answers it with the GET route.
 */
export function answerUnrouted(routes: readonly RouterRoute[]): NotFoundHandler {
  const methodsByPath = new TrieRouter<string>();
  for (const { method, path } of routes) if (method !== 'ALL') methodsByPath.add('ALL', path, method);
  const allowedOn = (path: string) => {
    const allowed = new Set(methodsByPath.match('GET', path)[0].map(([method]) => method));
    if (allowed.has('GET')) allowed.add('HEAD');
    return [...allowed].sort();
  };
  return function answerNoRoute(c) {
    const { method, path } = c.req;
    const allowed = allowedOn(path);
    if (allowed.length === 0 || allowed.includes(method)) {
      return problem(c, {
        title: 'Not Found',
        status: 404,
        detail: `No route ${method} ${path}; see /openapi.json`,
      });
    }
    c.header('Allow', allowed.join(', '));
    return problem(c, {
      title: 'Method Not Allowed',
      status: 405,
      detail: `${path} does not answer ${method}; use ${allowed.join(', ')} (see /openapi.json).`,
    });
  };
}
