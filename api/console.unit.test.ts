import { describe, expect, it } from 'vitest';
import { apiDependencies } from '../test/support/api.js';
import { createApp } from './app.js';

const app = createApp(
  apiDependencies({ console: { temporalUi: 'https://temporal.bank.example', namespace: 'loyalty' } }),
);

describe('the console', () => {
  it('is one page whose scripts and styles all come from here, under a policy that forbids the rest', async () => {
    const page = await app.request('/console');
    expect(page.status).toBe(200);
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).not.toContain('unsafe');
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(
      sources.filter(
        (source) => !source.startsWith('/console/') && source !== '#main' && source !== 'data:,',
      ),
    ).toEqual([]);
    expect(html).not.toMatch(/<script>|<style>| style=/);
    for (const source of sources.filter((source) => source.startsWith('/console/'))) {
      const asset = await app.request(source);
      expect(asset.status, source).toBe(200);
      expect(asset.headers.get('content-security-policy')).toBe(policy);
    }
  });

  it('serves every module the page imports, and answers 404 problem+json for any other path', async () => {
    const app2 = await app.request('/console/app.js');
    const imports = [...(await app2.text()).matchAll(/from '\.\/([^']+)'/g)].map((match) => match[1]!);
    expect(imports).toContain('pages/rules.js');
    for (const module of imports) expect((await app.request(`/console/${module}`)).status, module).toBe(200);
    const missing = await app.request('/console/../package.json');
    expect(missing.status).toBe(404);
    expect((await app.request('/console/nothing.js')).headers.get('content-type')).toBe(
      'application/problem+json',
    );
  });

  it('tells the page where staff sign in, and lets it reach that provider alone besides this origin', async () => {
    const oidc = { issuer: 'https://sso.bank.example/realms/staff', clientId: 'achievements-console' };
    const withProvider = createApp(
      apiDependencies({
        console: { temporalUi: 'https://temporal.bank.example', namespace: 'loyalty', oidc },
      }),
    );
    const settings = await withProvider.request('/console/settings.json');
    expect(await settings.json()).toMatchObject({ oidc });
    const policy = (await withProvider.request('/console')).headers.get('content-security-policy')!;
    expect(policy).toContain("connect-src 'self' https://sso.bank.example;");
    expect(policy).toContain("form-action 'none'");
    expect((await app.request('/console')).headers.get('content-security-policy')).toContain(
      "connect-src 'self';",
    );
  });

  it('tells the page where the Temporal UI shows a workflow', async () => {
    expect(await (await app.request('/console/settings.json')).json()).toEqual({
      temporalUi: 'https://temporal.bank.example',
      namespace: 'loyalty',
    });
  });
});
