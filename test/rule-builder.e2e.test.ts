import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { planOf, type JsonSchema } from '../api/console/rule-builder-schema.js';
import { accessibilityFindings } from './support/axe.js';
import { chromiumPath } from './support/chromium.js';
import { processedToEnds, produceEvents } from './support/engine.js';
import { purchase } from './support/events.js';
import { registerConsole, type STAFF } from './support/keycloak.js';
import { signInAtProvider } from './support/provider-sign-in.js';
import { uniqueName } from './support/stack.js';
import { requestsAs } from './support/tokens.js';
import { startWholeSystem, type WholeSystem } from './support/whole-system.js';

/** Where the screenshots go: beside the README that shows them. */
const SCREENSHOTS = 'docs/screenshots';
const COFFEE = 5814;
const HOUR_MS = 3_600_000;

/** A wall time for `datetime-local`, as UTC's: read in Kyiv, a few hours earlier still. */
const wallTime = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/**
 * The console as its people use it: staff signed in at the bank's identity provider (the local Keycloak), the
 * API four-eyes, as in production.
 */
describe('the rule builder and four-eyes approvals in Chromium', () => {
  const issuer = inject('oidcIssuer');
  let system: WholeSystem;
  let registered: Awaited<ReturnType<typeof registerConsole>>;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const executablePath = await chromiumPath();
    system = await startWholeSystem({ ADMIN_APPROVALS: 'four-eyes', OIDC_ISSUER: issuer });
    registered = await registerConsole(system.apiUrl);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await registered?.remove();
    await system?.stop();
  });

  /** The console, `who` signed in at the identity provider, in Kyiv's time zone; every script error noted. */
  async function signedIn(who: keyof typeof STAFF) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      timezoneId: 'Europe/Kyiv',
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await signInAtProvider(page, { apiUrl: system.apiUrl, issuer }, who);
    return page;
  }

  /** The builder, `who` signed in. */
  async function builder(who: keyof typeof STAFF) {
    const page = await signedIn(who);
    await page.goto(`${system.apiUrl}/console#/builder`);
    await page.waitForSelector('#builder-form [data-pointer]');
    return page;
  }

  /** The Approvals page as it stands now (each visit reads the proposals again). */
  async function approvals(page: Page) {
    await page.goto(`${system.apiUrl}/console#/achievements`);
    await page.waitForSelector('#who button');
    await page.goto(`${system.apiUrl}/console#/approvals`);
    await page.waitForSelector('h1:has-text("Approvals")');
  }

  const at = (page: Page, pointer: string) => page.locator(`#builder-form [data-pointer="${pointer}"]`);
  const add = (page: Page, pointer: string) => page.locator(`#builder-form [data-add="${pointer}"]`).click();
  const documentOf = async (page: Page) =>
    JSON.parse(await page.inputValue('#builder-json')) as Record<string, unknown>;
  /** The JSON pointer of the control that has the focus. */
  const focused = (page: Page) =>
    page.evaluate<string | null>("document.activeElement?.getAttribute('data-pointer')");

  /** Presses Tab until the focused control is named `name` (its label, or its text), as a keyboard user would. */
  async function tabTo(page: Page, name: string) {
    for (let presses = 0; presses < 120; presses++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = (
          globalThis as unknown as {
            document: {
              activeElement: { textContent: string; labels?: { firstChild: { textContent: string } }[] };
            };
          }
        ).document.activeElement;
        return [element.textContent, element.labels?.[0]?.firstChild.textContent ?? ''];
      });
      if (focused.some((text) => text.trim() === name)) return;
    }
    throw new Error(`Tab never reached ${name}`);
  }

  it("lets a product owner build 'coffee lover again every month in December' in the form, no JSON typed, and propose its activation, which a second admin approves", async () => {
    // Last December, three clients bought coffee three times and one twice: the dry run finds three.
    const year = new Date().getUTCFullYear() - 1;
    const coffees = (clientId: string, days: number[]) =>
      days.map((day) =>
        purchase({ clientId, categoryId: COFFEE, amount: 6000, time: `${year}-12-0${day}T08:00:00+02:00` }),
      );
    const lovers = [1, 2, 3].map((n) => uniqueName(`december-lover${n}`));
    await produceEvents(system.kafka, system.inputs, [
      ...lovers.flatMap((clientId) => coffees(clientId, [2, 3, 4])),
      ...coffees(uniqueName('december-sipper'), [2, 3]),
    ]);
    await processedToEnds(system.db.pool, system.kafka, system.inputs);

    const page = await builder('admin-1');
    await page.selectOption('#builder-template', '');
    await page.getByRole('button', { name: 'Start from this' }).click();
    await at(page, '/id').fill('coffee-december');

    // The repeat with the keyboard alone: Tab to its button, Enter, then the arrow picks "month".
    await at(page, '/id').focus();
    await tabTo(page, 'Add Repeat');
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('/repeat/every');
    await page.keyboard.press('ArrowDown');
    await expect.poll(async () => (await documentOf(page)).repeat).toEqual({ every: 'month' });

    await add(page, '/filter');
    await add(page, '/filter/kinds');
    await page.getByRole('checkbox', { name: 'purchase' }).check();
    await add(page, '/filter/categoryIds');
    await add(page, '/filter/categoryIds/-');
    await page.getByLabel('Category 1', { exact: true }).fill(String(COFFEE));
    await page.getByLabel('Measure', { exact: true }).selectOption({ label: 'count' });
    await page.getByLabel('Window', { exact: true }).selectOption({ label: 'calendar period' });
    await page.getByLabel('Calendar unit', { exact: true }).selectOption({ label: 'month' });
    await add(page, '/schedule');
    await add(page, '/schedule/startsAt');
    await page.getByLabel('Starts at', { exact: true }).fill(`${year}-12-01T00:00`);
    await add(page, '/schedule/endsAt');
    await page.getByLabel('Ends at', { exact: true }).fill(`${year + 1}-01-01T00:00`);

    await page.getByLabel('Achievement id', { exact: true }).fill('coffee-december');
    await page.getByLabel('Target', { exact: true }).fill('3');
    await page.getByLabel('Points', { exact: true }).fill('100');
    await add(page, '/levels/0/partner');
    await page.getByLabel('Partner', { exact: true }).fill('coffee-house');
    const texts = {
      en: ['December coffee lover', 'Buy coffee 3 times in a month, every month in December.'],
      uk: ['Грудневий кавоман', 'Купуйте каву 3 рази на місяць, щомісяця у грудні.'],
      he: ['חובב קפה של דצמבר', 'קנו קפה 3 פעמים בחודש, בכל חודש בדצמבר.'],
    };
    for (const [language, [title, description]] of Object.entries(texts)) {
      await page.getByLabel(`Title (${language})`, { exact: true }).fill(title!);
      await page.getByLabel(`Description (${language})`, { exact: true }).fill(description!);
    }

    await add(page, '/examples');
    await add(page, '/examples/-');
    await page.getByLabel('Name', { exact: true }).fill('three December coffees');
    for (const [i, day] of [2, 3, 4].entries()) {
      if (i > 0) await page.getByRole('button', { name: 'Add Event', exact: true }).click();
      await at(page, `/examples/0/given/${i}/amount`).fill('6000');
      await at(page, `/examples/0/given/${i}/time`).fill(`${year}-12-0${day}T08:00`);
      await at(page, `/examples/0/given/${i}/categoryId`).fill(String(COFFEE));
    }
    await add(page, '/examples/0/then/unlocked/-');
    await page.getByLabel('Achievement 1', { exact: true }).fill('coffee-december');

    // The API's check: no problem, the example passes; the rule in plain words.
    await page.waitForSelector('[data-builder-examples] li[data-passed="true"]');
    await page.waitForSelector('[data-builder-valid]');
    expect(await page.textContent('#builder-check')).toContain('three December coffees: passed');
    await expect
      .poll(() => page.textContent('#builder-summary'))
      .toBe(
        `3 purchases in category ${COFFEE} in one calendar month, from 1 Dec to 31 Dec ${year}, earned again every month: 100 points and a reward from coffee-house`,
      );
    expect(await documentOf(page)).toEqual({
      id: 'coffee-december',
      trigger: { on: 'transaction' },
      filter: { kinds: ['purchase'], categoryIds: [COFFEE] },
      schedule: { startsAt: `${year}-12-01T00:00:00+02:00`, endsAt: `${year + 1}-01-01T00:00:00+02:00` },
      measure: { type: 'count' },
      window: { type: 'calendar', unit: 'month' },
      repeat: { every: 'month' },
      levels: [
        {
          achievementId: 'coffee-december',
          target: 3,
          points: 100,
          partner: 'coffee-house',
          title: { en: texts.en[0], uk: texts.uk[0], he: texts.he[0] },
          description: { en: texts.en[1], uk: texts.uk[1], he: texts.he[1] },
        },
      ],
      examples: [
        {
          name: 'three December coffees',
          given: [2, 3, 4].map((day) => ({
            amount: 6000,
            time: `${year}-12-0${day}T08:00:00+02:00`,
            categoryId: COFFEE,
          })),
          then: { unlocked: ['coffee-december'] },
        },
      ],
    });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${SCREENSHOTS}/rule-builder-form.png` });
    await page.locator('.builder-side').screenshot({ path: `${SCREENSHOTS}/rule-builder-check.png` });
    expect(await accessibilityFindings(page), 'the builder: axe findings').toEqual([]);

    // A problem by field: a target of 0 is shown beside the target, announced with it.
    await page.getByLabel('Target', { exact: true }).fill('0');
    await page.waitForSelector('[data-pointer="/levels/0/target"][aria-invalid="true"]');
    const described = await at(page, '/levels/0/target').getAttribute('aria-describedby');
    expect(await page.textContent(`#${described!.split(' ').at(-1)}`)).toMatch(/>0|positive/);
    await page.getByRole('button', { name: 'Go to /levels/0/target' }).click();
    expect(await focused(page)).toBe('/levels/0/target');
    await page.keyboard.type('3');
    await page.waitForSelector('[data-builder-valid]');

    // The dry-run estimate over the records of the last hours: three clients, 300 points, three vouchers asked.
    await page.locator('#dry-run-from').fill(wallTime(Date.now() - 2 * HOUR_MS));
    await page.getByRole('button', { name: 'Estimate over history' }).click();
    await expect
      .poll(() => page.textContent('#dry-run-result'), { timeout: 180_000, interval: 1_000 })
      .toContain('Dry run done');
    expect(await page.getAttribute('[data-dry-run-points]', 'data-dry-run-points')).toBe('300');
    expect(await page.textContent('[data-partner-costs] tbody')).toBe('coffee-house3');
    await page.locator('#dry-run-result').scrollIntoViewIfNeeded();
    await page
      .locator('#dry-run-result')
      .locator('..')
      .screenshot({ path: `${SCREENSHOTS}/rule-builder-dry-run.png` });

    await page.getByRole('button', { name: 'Create version' }).click();
    await page.waitForSelector('text=Created coffee-december v1; activate it on the Rules page.');
    const admin = requestsAs(system.app, { role: 'admin', sub: 'emp-1' });
    const { rules } = (await (await admin('GET', '/v1/admin/rules')).json()) as {
      rules: { ruleId: string; versions: { document: unknown }[] }[];
    };
    expect(rules.find((rule) => rule.ruleId === 'coffee-december')?.versions[0]?.document).toMatchObject({
      repeat: { every: 'month' },
      schedule: { startsAt: `${year}-12-01T00:00:00+02:00` },
    });

    // In Ukrainian: the same draft, its labels and its sentence.
    await page.selectOption('#language', 'uk');
    await page.waitForSelector('h1:has-text("Конструктор правил")');
    await expect
      .poll(() => page.textContent('#builder-summary'))
      .toMatch(/^3 покупки у категорії 5814 за один календарний місяць, з 1 грудня по 31 грудня \d{4}/);
    expect(await page.getByLabel('Ідентифікатор правила', { exact: true }).inputValue()).toBe(
      'coffee-december',
    );
    await page.screenshot({ path: `${SCREENSHOTS}/rule-builder-uk.png` });
    expect(await accessibilityFindings(page), 'the builder in Ukrainian: axe findings').toEqual([]);
    await page.selectOption('#language', 'en');

    // Its activation, with a backfill over last December, proposed: nothing runs until another admin approves.
    await page.goto(`${system.apiUrl}/console#/rules`);
    await page.selectOption('#activate-rule', 'coffee-december');
    await page.locator('#activate-backfill-from').fill(`${year}-12-01T00:00`);
    await page
      .getByLabel('Reason for an activation or a stop (written to the audit log)')
      .fill('CHG-2412 December coffee campaign');
    await page.getByRole('button', { name: 'Propose activation' }).click();
    await page.waitForSelector('#activation-result a[href="#/approvals"]');
    const liveVersion = async () => {
      const { rules: listed } = (await (await admin('GET', '/v1/admin/rules')).json()) as {
        rules: { ruleId: string; active: { version: number } | null }[];
      };
      return listed.find((rule) => rule.ruleId === 'coffee-december')?.active?.version ?? null;
    };
    expect(await liveVersion()).toBeNull();
    await approvals(page);
    const proposal = page.locator('article.proposal', { hasText: 'Activate coffee-december@v1' });
    await expect.poll(() => proposal.textContent()).toContain('You proposed this');
    expect(await proposal.getByRole('button', { name: 'Approve and run' }).count()).toBe(0);
    await page.screenshot({ path: `${SCREENSHOTS}/four-eyes-proposed.png`, fullPage: true });

    // Support reads it, and decides nothing.
    const support = await signedIn('support-1');
    await approvals(support);
    const seenBySupport = support.locator('article.proposal', { hasText: 'Activate coffee-december@v1' });
    await expect
      .poll(() => seenBySupport.textContent())
      .toContain('An admin other than the proposer decides.');
    expect(await support.getByRole('button', { name: 'Approve and run' }).count()).toBe(0);
    await support.screenshot({ path: `${SCREENSHOTS}/four-eyes-support.png`, fullPage: true });

    // A second admin signs in at the provider, compares the documents, reads the estimate and approves.
    const approver = await signedIn('admin-2');
    const decision = approver.locator('article.proposal', { hasText: 'Activate coffee-december@v1' });
    await expect
      .poll(
        async () => {
          await approvals(approver);
          return decision.locator('table').count();
        },
        { timeout: 180_000, interval: 2_000 },
      )
      .toBe(1);
    expect(await decision.locator('pre.diff').textContent()).toContain('+   "repeat": {');
    expect(await decision.locator('pre.diff del').count()).toBe(0);
    expect(await decision.textContent()).toContain('Activation with a backfill over history from');
    expect(await decision.locator('table tbody').textContent()).toContain('coffee-december3');
    expect(await accessibilityFindings(approver), 'the approvals page: axe findings').toEqual([]);
    await approver.screenshot({ path: `${SCREENSHOTS}/four-eyes-approve.png`, fullPage: true });
    await decision
      .getByLabel('Reason (written to the audit log)')
      .fill('estimate checked: 3 clients, 300 points');
    await decision.getByRole('button', { name: 'Approve and run' }).click();
    await expect.poll(() => approver.textContent('#status')).toContain('approved and run (HTTP 202)');
    expect(await liveVersion()).toBe(1);

    // The audit log names both: the activation under the proposer, approved by the approver.
    await approver.goto(`${system.apiUrl}/console#/audit`);
    await approver.waitForSelector('#audit-entries table');
    await approver.getByLabel('What (action or its start, e.g. rule.)').fill('rule.activate');
    await approver.getByRole('button', { name: 'Show' }).click();
    const activation = approver.locator('#audit-entries tbody tr', { hasText: 'coffee-december' });
    await expect.poll(() => activation.textContent()).toContain('admin-2');
    expect(await activation.locator('td').allTextContents()).toEqual([
      expect.any(String),
      'admin-1',
      'admin',
      'rule.activate',
      expect.stringContaining('coffee-december'),
      expect.any(String),
      'admin-2',
    ]);
    await approver.screenshot({ path: `${SCREENSHOTS}/four-eyes-audit.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, 600_000);

  /**
   * Opens every optional part the form offers and shows every variant of every union, until nothing new
   * appears; answers the fields (`data-pattern`) that have a control on the page.
   */
  async function openEverything(page: Page) {
    const drawn = new Set<string>();
    const tried = new Set<string>();
    for (let round = 0; round < 500; round++) {
      const controls = await page.$$eval(
        '#builder-form[data-pattern], #builder-form [data-pattern]',
        (nodes) =>
          nodes.map((node) => {
            const element = node as unknown as { dataset: Record<string, string>; options?: unknown[] };
            const { pattern, add, variantOf } = element.dataset;
            return { pattern: pattern!, add, variantOf, options: element.options?.length ?? 0 };
          }),
      );
      for (const control of controls) if (control.add === undefined) drawn.add(control.pattern);
      const unopened = controls.find(
        (control) => control.add !== undefined && !drawn.has(control.pattern) && !tried.has(control.add),
      );
      if (unopened) {
        tried.add(unopened.add!);
        await add(page, unopened.add!);
        continue;
      }
      const unseen = controls
        .filter((control) => control.variantOf !== undefined)
        .flatMap((control) =>
          Array.from({ length: control.options }, (_, i) => ({ ...control, i })).filter(
            ({ pattern, i }) => !tried.has(`${pattern}#${i}`),
          ),
        )[0];
      if (!unseen) return drawn;
      tried.add(`${unseen.pattern}#${unseen.i}`);
      await page
        .locator(`#builder-form select[data-variant-of="${unseen.variantOf}"]`)
        .selectOption({ index: unseen.i });
    }
    throw new Error('the form kept offering new parts');
  }

  it('draws a control for every field of the API’s rule schema (the schema-drift test, in the browser)', async () => {
    const page = await builder('support-1');
    // Support starts from an example rule, whose example passes; creating versions is for admins.
    await page.selectOption('#builder-template', 'coffee-lover-monthly');
    await page.getByRole('button', { name: 'Start from this' }).click();
    await page.waitForSelector('[data-builder-examples] li[data-passed="true"]');
    expect(await page.getByRole('button', { name: 'Create version' }).count()).toBe(0);
    // The JSON beside the form, edited, is what the form shows; JSON that does not parse leaves the form be.
    const template = JSON.parse(await page.inputValue('#builder-json')) as { levels: { target: number }[] };
    template.levels[0]!.target = 12;
    await page.locator('#builder-json').fill(JSON.stringify(template, null, 2));
    await expect.poll(() => at(page, '/levels/0/target').inputValue()).toBe('12');
    await page.locator('#builder-json').fill('{ "id": ');
    await page.waitForSelector('#builder-json-state:has-text("Not JSON yet")');
    expect(await at(page, '/levels/0/target').inputValue()).toBe('12');

    const drawn = await openEverything(page);
    const support = requestsAs(system.app, { role: 'support', sub: 'emp-2' });
    const schema = (await (await support('GET', '/v1/admin/rules/schema')).json()) as JsonSchema;
    const fields = new Set(planOf(schema).fields.map((field) => field.pattern));
    expect(
      [...fields].filter((pattern) => !drawn.has(pattern)),
      'fields with no control on the page',
    ).toEqual([]);
    expect(
      [...drawn].filter((pattern) => !fields.has(pattern)),
      'controls of no field',
    ).toEqual([]);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${SCREENSHOTS}/rule-builder-every-field.png` });
    expect(await accessibilityFindings(page), 'every field open: axe findings').toEqual([]);
    expect(problems).toEqual([]);
  }, 300_000);
});
