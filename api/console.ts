import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { withContentSecurityPolicy } from './content-policy.js';

/** The console's files, all in the repository: a bank's closed network reaches no CDN. */
const ASSETS_DIR = fileURLToPath(new URL('./console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Nothing but this origin's own files and API: no inline script or style, no frames, no forms posting away.
 * Charts are SVG drawn by the console's own script.
 */
const contentSecurityPolicy = (connectTo: string[]) => [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  ['connect-src', "'self'", ...connectTo].join(' '),
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

/** Every asset read once at start: the set is small and fixed, and a request never touches the disk. */
function readAssets(dir: string, prefix = ''): Map<string, { body: string; type: string }> {
  const assets = new Map<string, { body: string; type: string }>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) {
      for (const [path, asset] of readAssets(`${dir}${entry.name}/`, `${name}/`)) assets.set(path, asset);
    } else if (TYPES[extname(entry.name)]) {
      assets.set(name, {
        body: readFileSync(`${dir}${entry.name}`, 'utf8'),
        type: TYPES[extname(entry.name)]!,
      });
    }
  }
  return assets;
}

/**
 * What the page needs to know of the deployment: where the Temporal UI shows a workflow, and the identity
 * provider staff sign in at (its issuer and the console's public client there), when there is one.
 */
export interface ConsoleSettings {
  temporalUi: string;
  namespace: string;
  oidc?: { issuer: string; clientId: string };
}

/**
 * `GET /console`: the operations console, a page over the API's own routes. It holds no secret: staff sign in
 * at the identity provider (a public client) or bring a token, and every route it calls checks that token's
 * role as for any caller.
 */
export function consoleRoutes(settings: ConsoleSettings) {
  const assets = readAssets(ASSETS_DIR);
  const app = new Hono();
  // The page reads the provider's discovery document and exchanges codes at its token endpoint itself.
  const provider = settings.oidc ? [new URL(settings.oidc.issuer).origin] : [];
  withContentSecurityPolicy(app, '/console', contentSecurityPolicy(provider));
  app.get('/console', (c) => c.html(assets.get('index.html')!.body));
  app.get('/console/settings.json', (c) => c.json(settings));
  app.get('/console/*', (c, next) => {
    const asset = assets.get(c.req.path.slice('/console/'.length));
    if (!asset) return next();
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
  });
  return app;
}
