import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { withContentSecurityPolicy } from './content-policy.js';

/** Swagger UI's files, served from the installed package: a bank's closed network reaches no CDN. */
const SWAGGER_UI = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Achievements and loyalty API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });
});`;

/** Only this origin's scripts and styles; Swagger UI sets inline styles, nothing else is loosened. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

const cached = new Map<string, string>();
const asset = (name: keyof typeof ASSETS) => {
  if (!cached.has(name)) cached.set(name, readFileSync(join(SWAGGER_UI, name), 'utf8'));
  return cached.get(name)!;
};

/** `GET /docs`: Swagger UI reading `/openapi.json`, with every file served from here. */
export function docsRoutes() {
  const app = new Hono();
  withContentSecurityPolicy(app, '/docs', CONTENT_SECURITY_POLICY);
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/init.js', (c) => c.body(INIT, 200, { 'Content-Type': ASSETS['swagger-ui-bundle.js'] }));
  for (const name of Object.keys(ASSETS) as (keyof typeof ASSETS)[]) {
    app.get(`/docs/${name}`, (c) =>
      c.body(asset(name), 200, { 'Content-Type': ASSETS[name], 'Cache-Control': 'public, max-age=3600' }),
    );
  }
  return app;
}
