import type { Page } from 'playwright-core';
import { STAFF } from './keycloak.js';

/** How much of the provider's page a failed sign-in quotes: its heading and message, not its whole markup. */
const QUOTED_CHARS = 600;

/**
 * Signs `who` in from the console at `apiUrl` through the identity provider's own login page (its button, the
 * provider's form), and waits until the console shows who is signed in. When the provider keeps the browser
 * (a refused password, a login session it lost), the failure quotes what its page said, not only the timeout.
 */
export async function signInAtProvider(
  page: Page,
  at: { apiUrl: string; issuer: string },
  who: keyof typeof STAFF,
) {
  await page.goto(`${at.apiUrl}/console`);
  await page.getByRole('button', { name: 'Continue with the bank’s identity provider' }).click();
  await page.waitForURL((url) => url.href.startsWith(at.issuer));
  await page.fill('#username', who);
  await page.fill('#password', STAFF[who]);
  await page.click('#kc-login');
  await page.waitForURL(`${at.apiUrl}/console#/achievements`).catch(async (error: unknown) => {
    const said = await page
      .locator('body')
      .innerText()
      .catch((failure: unknown) => `(unreadable: ${String(failure)})`);
    throw new Error(
      `${who} was not brought back to the console: the browser is at ${page.url()}, which says: ` +
        `${said.replace(/\s+/g, ' ').slice(0, QUOTED_CHARS)}`,
      { cause: error },
    );
  });
  await page.waitForSelector('#who button');
}
