import { mkdirSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, killGroup, startRole, type Child } from '../scripts/children.js';
import { accessibilityFindings } from './support/axe.js';
import { chromiumPath } from './support/chromium.js';
import { realmEvents, registerConsole, STAFF, tokenRequest, CONSOLE_CLIENT } from './support/keycloak.js';
import { signInAtProvider } from './support/provider-sign-in.js';
import { ownEngine } from './support/roles.js';
import { migratedSchema, testKafka } from './support/stack.js';
import { token } from './support/tokens.js';

const OUTPUT = 'output/console';
const TOKENS = 'achievements-console-oidc-tokens';

interface KeptTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: number;
}

/**
 * The console's sign-in at the real Keycloak, in Chromium: the button, the provider's own login page, the code
 * exchanged by the page with PKCE, the tokens in this tab's sessionStorage only, renewed before they expire,
 * and the sign-out that ends the provider's session too.
 */
describe('the console signing staff in at the identity provider, in Chromium', () => {
  const kafka = testKafka();
  const issuer = inject('oidcIssuer');
  const startedAt = Date.now();
  const problems: string[] = [];
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let api: Child;
  let apiUrl: string;
  let registered: Awaited<ReturnType<typeof registerConsole>>;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const executablePath = await chromiumPath();
    db = await migratedSchema();
    const engine = await ownEngine(kafka, db.schema, 1);
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = await startRole('api', { ...engine.env, PORT: String(port), OIDC_ISSUER: issuer });
    registered = await registerConsole(apiUrl);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await registered?.remove();
    if (api) killGroup(api);
    await db?.drop();
  });

  async function freshPage() {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    return page;
  }

  const kept = (page: Page) =>
    page.evaluate(
      (key) => JSON.parse(sessionStorage.getItem(key) ?? 'null') as unknown,
      TOKENS,
    ) as Promise<KeptTokens | null>;

  const signIn = (page: Page, who: keyof typeof STAFF) => signInAtProvider(page, { apiUrl, issuer }, who);

  it('signs admin-1 in with the code flow and PKCE, keeping the tokens in this tab alone', async () => {
    const page = await freshPage();
    const authorizations: URL[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${issuer}/protocol/openid-connect/auth`))
        authorizations.push(new URL(request.url()));
    });
    await page.goto(`${apiUrl}/console`);
    await page.getByRole('button', { name: 'Continue with the bank’s identity provider' }).waitFor();
    expect(await accessibilityFindings(page)).toEqual([]);
    await page.screenshot({ path: `${OUTPUT}/sign-in-with-provider.png`, fullPage: true });
    await signIn(page, 'admin-1');
    const [authorization] = authorizations;
    expect(authorization?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization?.searchParams.get('state')).toBeTruthy();
    expect(authorization?.searchParams.get('nonce')).toBeTruthy();
    expect(await page.textContent('#who')).toContain('admin-1 (admin)');
    expect(page.url()).not.toContain('code=');
    const tokens = await kept(page);
    expect(decodeJwt(tokens!.accessToken)).toMatchObject({ iss: issuer, preferred_username: 'admin-1' });
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(tokens!.accessToken);
    await page.goto(`${apiUrl}/console#/audit`);
    await page.waitForSelector('table');
    expect(await page.textContent('main')).toContain('admin-1');
    await page.screenshot({ path: `${OUTPUT}/audit-signed-in-at-provider.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('still takes a pasted token beside the provider, for local use', async () => {
    const page = await freshPage();
    await page.goto(`${apiUrl}/console`);
    await page.getByRole('button', { name: 'Continue with the bank’s identity provider' }).waitFor();
    await page.getByLabel('Token').fill(await token({ sub: 'emp-1', role: 'admin' }));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('#who button');
    expect(await page.textContent('#who')).toContain('emp-1 (admin)');
    expect(problems).toEqual([]);
  });

  it('refuses a code it did not ask for: a state it did not send', async () => {
    const page = await freshPage();
    await page.goto(`${apiUrl}/console`);
    await page.getByRole('button', { name: 'Continue with the bank’s identity provider' }).click();
    await page.waitForURL((url) => url.href.startsWith(issuer));
    // Back at the console with another sign-in's answer, as a forged link would bring someone.
    await page.goto(`${apiUrl}/console?code=forged&state=forged`);
    await expect.poll(() => page.textContent('#status')).toContain('was not started here');
    expect(page.url()).toBe(`${apiUrl}/console#/achievements`);
    expect(await kept(page)).toBeNull();
  });

  it('renews the access token with the refresh token shortly before it expires', async () => {
    const page = await freshPage();
    await signIn(page, 'admin-2');
    const before = (await kept(page))!;
    // As if the access token were to expire in ten seconds.
    await page.evaluate(
      ({ key, tokens }) =>
        sessionStorage.setItem(key, JSON.stringify({ ...tokens, accessExpiresAt: Date.now() + 10_000 })),
      { key: TOKENS, tokens: before },
    );
    await page.goto(`${apiUrl}/console#/audit`);
    await page.waitForSelector('table');
    const after = (await kept(page))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.accessExpiresAt).toBeGreaterThan(Date.now() + 60_000);
    expect(problems).toEqual([]);
  });

  it('signs out at the provider too, so its session and refresh token are over', async () => {
    const page = await freshPage();
    await signIn(page, 'admin-1');
    const { refreshToken, accessToken } = (await kept(page))!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${apiUrl}/console`);
    await page.getByRole('button', { name: 'Continue with the bank’s identity provider' }).waitFor();
    expect(await kept(page)).toBeNull();
    await expect(
      tokenRequest(issuer, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: CONSOLE_CLIENT,
      }),
    ).rejects.toThrow(/invalid_grant/);
    const events = await realmEvents({ user: decodeJwt(accessToken).sub!, type: 'LOGOUT' });
    expect(events.some(({ time }) => time >= startedAt - 1_000)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('signs support in with the keyboard alone, in Ukrainian at the provider too, without the admin pages', async () => {
    const page = await freshPage();
    await page.goto(`${apiUrl}/console`);
    await page.selectOption('#language', 'uk');
    const button = page.getByRole('button', { name: 'Продовжити через постачальника ідентичності банку' });
    await button.waitFor();
    const focused = () =>
      button.evaluate((element) => {
        const node = element as unknown as { ownerDocument: { activeElement: unknown } };
        return node.ownerDocument.activeElement === node;
      });
    for (let presses = 0; presses < 20 && !(await focused()); presses++) await page.keyboard.press('Tab');
    expect(await focused()).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(issuer));
    expect(await page.getAttribute('html', 'lang')).toBe('uk');
    await page.keyboard.type('support-1');
    await page.keyboard.press('Tab');
    await page.keyboard.type(STAFF['support-1']);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${apiUrl}/console#/achievements`);
    await page.waitForSelector('#who button');
    expect(await page.textContent('#who')).toContain('support-1 (support)');
    expect(await page.getByRole('link', { name: 'Аудит' }).count()).toBe(0);
    await page.screenshot({ path: `${OUTPUT}/signed-in-at-provider-uk.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});
