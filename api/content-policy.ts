import type { Hono } from 'hono';

/**
 * Sends `directives` as the Content-Security-Policy of the page at `path` and of everything under it: the
 * pages the API serves itself (the docs, the console) load only what their policy names.
 */
export function withContentSecurityPolicy(app: Hono, path: string, directives: string[]) {
  const policy = directives.join('; ');
  for (const pattern of [path, `${path}/*`])
    app.use(pattern, async (c, next) => {
      await next();
      c.header('Content-Security-Policy', policy);
    });
}
