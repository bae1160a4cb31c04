import { mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { InputEvent } from '../rules/events.js';
import { accessibilityFindings } from './support/axe.js';
import { chromiumPath } from './support/chromium.js';
import { eventually, processedToEnds, produceEvents, unlocksOf, valueOf } from './support/engine.js';
import { purchase } from './support/events.js';
import { uniqueName } from './support/stack.js';
import { requestsAs, token } from './support/tokens.js';
import { startWholeSystem, type WholeSystem } from './support/whole-system.js';

/** Where the screenshots go: the repository's ignored output folder, kept by CI as artifacts. */
const OUTPUT = 'output/console';
const BAKERY = 5462;
const COFFEE = 5814;
const MINUTE_MS = 60_000;
const HOUR_S = 3_600;

/** The rule a product owner writes in the editor: three bakery visits, ever. `target` is what they type. */
const bakeryRule = (target: number) => ({
  id: 'bakery-fan',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [BAKERY] },
  measure: { type: 'count' },
  window: { type: 'lifetime' },
  levels: [
    {
      achievementId: 'bakery-fan',
      target,
      points: 30,
      title: { en: 'Bakery fan', uk: 'Шанувальник пекарень', he: 'אוהבי מאפיות' },
      description: { en: 'Three bakery visits.', uk: 'Три візити до пекарні.', he: 'שלושה ביקורים במאפייה.' },
    },
  ],
  examples: [
    {
      name: 'three visits unlock it',
      given: [1, 2, 3].map((day) => ({
        amount: 4000,
        time: `2026-11-0${day}T08:00:00+02:00`,
        categoryId: BAKERY,
      })),
      then: { unlocked: ['bakery-fan'], measures: [1, 2, 3] },
    },
  ],
});

const bakeryVisits = (clientId: string, fromMs: number): InputEvent[] =>
  [0, 1, 2].map((i) =>
    purchase({
      clientId,
      categoryId: BAKERY,
      amount: 4000,
      time: new Date(fromMs + i * MINUTE_MS).toISOString(),
    }),
  );

/**
 * A weekend-morning coffee campaign running from the start of last year to the end of next year, earned again
 * each month, capped with the cashback group, and on a budget of 3 unlocks and 5,000 points.
 */
const weekendCoffeeRule = (year: number) => ({
  id: 'weekend-coffee-club',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [COFFEE] },
  schedule: {
    startsAt: `${year - 1}-01-01T00:00:00+02:00`,
    endsAt: `${year + 2}-01-01T00:00:00+02:00`,
    days: ['sat', 'sun'],
    hours: { from: '07:00', to: '10:00' },
  },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  repeat: { every: 'month' },
  cap: { points: 500, per: 'month', group: 'cashback' },
  budget: { unlocks: 3, points: 5000, atLimit: 'close' },
  levels: [
    {
      achievementId: 'weekend-coffee-club',
      target: 1,
      points: 100,
      title: { en: 'Weekend coffee club', uk: 'Клуб вихідної кави', he: 'מועדון קפה של סוף שבוע' },
      description: {
        en: 'A weekend morning coffee, once a month.',
        uk: 'Кава вихідного ранку, раз на місяць.',
        he: 'קפה בבוקר סוף שבוע, פעם בחודש.',
      },
    },
  ],
});

/** The latest weekend morning gone by (06:00 UTC, 08:00 or 09:00 in Kyiv): less than a week ago. */
function lastWeekendMorning(nowMs: number) {
  const morning = new Date(nowMs);
  morning.setUTCHours(6, 0, 0, 0);
  while (morning.getTime() > nowMs || ![0, 6].includes(morning.getUTCDay()))
    morning.setUTCDate(morning.getUTCDate() - 1);
  return morning.toISOString();
}

/** An element's text as it reads, its spaces (thin, narrow, line breaks) made plain. */
const plainText = (text: string) => text.replace(/\s+/g, ' ').trim();

/** `datetime-local`'s wall time in the browser's zone (the context runs in UTC). */
const wallTime = (ms: number) => new Date(ms).toISOString().slice(0, 16);

describe('the operations console in Chromium', () => {
  let system: WholeSystem;
  let browser: Browser;
  const problems: string[] = [];

  // Installing Chromium on a fresh machine takes a few minutes of its own.
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const executablePath = await chromiumPath();
    system = await startWholeSystem({ JWT_MAX_LIFETIME_S: String(2 * HOUR_S) });
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  /** A page signed in as `role`, noting every CSP violation, script error and failed load. */
  async function signedIn(role: 'admin' | 'support') {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const jwt = await token({
      sub: role === 'admin' ? 'emp-1' : 'emp-2',
      role,
      exp: Math.floor(Date.now() / 1000) + HOUR_S,
    });
    await page.goto(`${system.apiUrl}/console`);
    await page.getByLabel('Token').fill(jwt);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('[data-holders]');
    return page;
  }

  async function visit(page: Page, hash: string, ready: string, shot: string) {
    await page.goto(`${system.apiUrl}/console#/${hash}`);
    await page.waitForSelector(ready);
    await page.screenshot({ path: `${OUTPUT}/${shot}.png`, fullPage: true });
    expect(await accessibilityFindings(page), `${hash}: axe findings`).toEqual([]);
  }

  it('takes a product owner from a stat to a live rule, a dispute, a redriven dead letter and the audit log', async () => {
    // History: four clients visited a bakery three times an hour ago.
    const historyClients = [1, 2, 3, 4].map((n) => uniqueName(`bakery${n}`));
    await produceEvents(
      system.kafka,
      system.inputs,
      historyClients.flatMap((clientId) => bakeryVisits(clientId, Date.now() - 60 * MINUTE_MS)),
    );
    await processedToEnds(system.db.pool, system.kafka, system.inputs);

    const page = await signedIn('admin');
    await expect.poll(() => page.textContent('[data-holders="first-purchase"]')).toBe('4');
    await page.screenshot({ path: `${OUTPUT}/achievements.png`, fullPage: true });
    expect(await accessibilityFindings(page), 'achievements: axe findings').toEqual([]);

    await visit(page, 'rules', '[data-examples]', 'rules');
    const editor = page.getByLabel('Rule document (JSON)');
    await editor.fill(JSON.stringify(bakeryRule(4), null, 2));
    await page.waitForSelector('[data-examples] li.bad');
    expect(await page.textContent('[data-problems]')).toContain('/examples/0/then/unlocked');
    await page.getByRole('button', { name: 'Show /examples/0/then/unlocked in the document' }).click();
    const selected = await editor.evaluate((element) => {
      const area = element as unknown as { value: string; selectionStart: number; selectionEnd: number };
      return area.value.slice(area.selectionStart, area.selectionEnd);
    });
    expect(JSON.parse(selected)).toEqual(['bakery-fan']);
    await page.screenshot({ path: `${OUTPUT}/rule-example-failing.png`, fullPage: true });
    await editor.fill(JSON.stringify(bakeryRule(3), null, 2));
    await page.waitForSelector('[data-examples] li.ok');
    expect(await page.textContent('#rule-check')).toContain('Valid: it would be version 1.');

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const trace = page.locator('#simulation-trace tbody tr');
    await expect.poll(() => trace.count()).toBe(4);
    expect(await trace.nth(1).textContent()).toContain('no');
    expect(await trace.nth(3).textContent()).toContain('bakery-fan');

    // Dry-run with a budget of 3 unlocks: the 4 unlocks it finds would use it up.
    await editor.fill(
      JSON.stringify({ ...bakeryRule(3), budget: { unlocks: 3, atLimit: 'close' } }, null, 2),
    );
    await page.waitForSelector('[data-examples] li.ok');
    await page.locator('#dry-run-from').fill(wallTime(Date.now() - 2 * 60 * MINUTE_MS));
    await page.getByRole('button', { name: 'Start the dry run' }).click();
    await page.waitForSelector('[data-dry-run-points]');
    await expect
      .poll(() => page.textContent('#dry-run-result'), { timeout: 180_000, interval: 1_000 })
      .toContain('Dry run done');
    expect(await page.getAttribute('[data-dry-run-points]', 'data-dry-run-points')).toBe('120');
    expect(await page.getAttribute('[data-dry-run-budget]', 'data-dry-run-budget')).toBe('closes');
    expect(await page.textContent('[data-dry-run-budget]')).toBe(
      'its budget has 3 unlocks left: these unlocks would use it up',
    );
    await page.screenshot({ path: `${OUTPUT}/rule-dry-run.png`, fullPage: true });
    await editor.fill(JSON.stringify(bakeryRule(3), null, 2));
    await page.waitForSelector('[data-examples] li.ok');

    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.waitForSelector('text=Saved bakery-fan v1.');
    await page.waitForSelector('#activate-rule option[value="bakery-fan"]', { state: 'attached' });
    await page.selectOption('#activate-rule', 'bakery-fan');
    await page.locator('#activate-backfill-from').fill(wallTime(Date.now() - 2 * 60 * MINUTE_MS));
    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    await page.waitForSelector('[data-backfill-status]');
    await expect
      .poll(() => page.getAttribute('[data-backfill-status]', 'data-backfill-status'), {
        timeout: 240_000,
        interval: 1_000,
      })
      .toBe('done');
    expect(await page.getAttribute('text=Its workflow in the Temporal UI', 'href')).toContain(
      'workflows/backfill-bakery-fan-v1',
    );
    expect(await page.textContent('[data-active="bakery-fan"]')).toMatch(/^v1 /);
    expect(await page.textContent('#activation-result table')).toContain('pointsGranted120');
    await page.screenshot({ path: `${OUTPUT}/rule-activated-with-backfill.png`, fullPage: true });

    // A client's visits after activation unlock it live; support explains it to them.
    const liveClient = uniqueName('bakery-live');
    await produceEvents(system.kafka, system.inputs, bakeryVisits(liveClient, Date.now() - 5 * MINUTE_MS));
    await eventually(
      () => unlocksOf(system.db.pool, liveClient),
      (unlocked) => unlocked.includes('bakery-fan'),
      60_000,
    );
    await visit(page, 'disputes', '#dispute-client', 'dispute');
    await page.getByLabel('Client id').fill(liveClient);
    await page.selectOption('#dispute-achievement', 'bakery-fan');
    await page.getByLabel('Reason (written to the audit log)').fill('the client asked why they got it');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.waitForSelector('[data-unlocked="true"]');
    await page.screenshot({ path: `${OUTPUT}/dispute-explained.png`, fullPage: true });

    await page.goto(`${system.apiUrl}/console#/achievements`);
    await expect.poll(() => page.textContent('[data-holders="bakery-fan"]')).toBe('5');

    // A bakery visit whose producer's clock ran three days behind, and a record that is not JSON.
    const lateClient = uniqueName('bakery-clock');
    const visit1 = bakeryVisits(lateClient, Date.now() - 10 * MINUTE_MS)[0]!;
    const producer = system.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: system.inputs.transactions,
      messages: [
        {
          key: lateClient,
          value: JSON.stringify(valueOf(visit1)),
          timestamp: String(Date.now() - 72 * 60 * MINUTE_MS),
        },
        { key: lateClient, value: '{"id": broken' },
      ],
    });
    await producer.disconnect();
    await eventually(
      async () =>
        Number(
          (await system.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM dead_letters')).rows[0]!.n,
        ),
      (n) => n === 2,
    );
    await visit(page, 'dead-letters', '#dlq-why', 'dead-letters');
    const clockLetter = await system.db.pool.query<{ id: string }>(
      "SELECT id FROM dead_letters WHERE reason = 'impossible-time'",
    );
    const id = clockLetter.rows[0]!.id;
    await page
      .getByLabel('Reason to read or redrive (written to the audit log)')
      .fill('producer clock fixed');
    await page.getByRole('button', { name: `Show original #${id}` }).click();
    await page.waitForSelector(`#dlq-original pre`);
    expect(await page.textContent('#dlq-original pre')).toContain(lateClient);
    await page.getByLabel(`Choose ${id}`).check();
    await page.getByRole('button', { name: 'Redrive the chosen records' }).click();
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.waitForSelector('[data-redrive]', { state: 'attached' });
          return page.locator('[data-redrive="accepted"]').count();
        },
        { timeout: 60_000, interval: 2_000 },
      )
      .toBe(1);
    await page.screenshot({ path: `${OUTPUT}/dead-letter-redriven.png`, fullPage: true });
    expect(await unlocksOf(system.db.pool, lateClient)).toEqual(['first-purchase']);

    // The campaign ends: the rule stops, its earned unlocks stay.
    await page.goto(`${system.apiUrl}/console#/rules`);
    await page.waitForSelector('[data-active="bakery-fan"]');
    await page.getByRole('button', { name: 'Stop bakery-fan' }).click();
    await expect.poll(() => page.textContent('[data-active="bakery-fan"]')).toBe('none');
    expect(await unlocksOf(system.db.pool, liveClient)).toContain('bakery-fan');

    await visit(page, 'audit', '#audit-entries table', 'audit');
    await page.getByLabel('What (action or its start, e.g. rule.)').fill('dead-letter.');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.textContent('#audit-entries tbody')).toContain('dead-letter.redrive');
    expect(await page.textContent('#audit-entries tbody')).toContain('emp-1');
    await page.selectOption('#language', 'uk');
    await page.waitForSelector('h1:has-text("Журнал аудиту")');
    await page.screenshot({ path: `${OUTPUT}/audit-uk.png`, fullPage: true });

    expect(problems).toEqual([]);
  }, 600_000);

  it("shows each rule's campaign terms, what its budget has left, and a client's latest earning", async () => {
    const admin = requestsAs(system.app, { role: 'admin', sub: 'emp-1' });
    const examples = ['gold-traveller', 'coffee-after-profile'].map(
      (name) => parse(readFileSync(`catalog/examples/${name}.yaml`, 'utf8')) as { id: string },
    );
    const year = new Date().getUTCFullYear();
    for (const document of [weekendCoffeeRule(year), ...examples]) {
      expect((await admin('POST', '/v1/admin/rules', document)).status, document.id).toBe(201);
      const activated = await admin('POST', `/v1/admin/rules/${document.id}/versions/1/activate`, {});
      expect(activated.status, document.id).toBe(202);
    }
    // A weekend morning's coffee takes one of the budget's unlocks, and 100 of its points. The processors read
    // the rule book every second, so coffees come (in one month, earned once) until one finds the rule live.
    const member = uniqueName('weekend-coffee');
    const morning = lastWeekendMorning(Date.now());
    await eventually(
      async () => {
        const coffee = purchase({ clientId: member, categoryId: COFFEE, time: morning });
        await produceEvents(system.kafka, system.inputs, [coffee]);
        return unlocksOf(system.db.pool, member);
      },
      (unlocked) => unlocked.includes('weekend-coffee-club'),
      60_000,
      2_000,
    );

    const page = await signedIn('support');
    await visit(page, 'rules', '[data-terms="weekend-coffee-club"] [data-budget]', 'rules-campaign-terms');
    const termsOf = async (ruleId: string) =>
      (await page.locator(`[data-terms="${ruleId}"] li`).allInnerTexts()).map(plainText);
    expect(await termsOf('weekend-coffee-club')).toEqual([
      `1 Jan ${year - 1} – 31 Dec ${year + 1}, weekends 07:00–10:00`,
      'earned again every month',
      'at most 500 points a month, shared by group cashback',
      '1 of 3 unlocks given — 2 left 100 of 5,000 points given — 4,900 left at the limit, it closes',
    ]);
    expect(await page.getAttribute('[data-terms="weekend-coffee-club"] progress', 'value')).toBe('1');
    expect(await termsOf('gold-traveller')).toEqual(['holds 2 of: globetrotter, week-streak']);
    expect(await termsOf('coffee-after-profile')).toEqual(['counts after profile-complete']);
    await page.selectOption('#language', 'uk');
    await page.waitForSelector('th:has-text("Умови кампанії")');
    expect((await termsOf('weekend-coffee-club')).slice(1, 3)).toEqual([
      'здобувається знову щомісяця',
      'не більше 500 балів на місяць, спільно для групи cashback',
    ]);
    await page.screenshot({ path: `${OUTPUT}/rules-campaign-terms-uk.png`, fullPage: true });
    await page.selectOption('#language', 'en');

    await visit(page, 'disputes', '#dispute-client', 'dispute-campaign');
    await page.getByLabel('Client id').fill(member);
    await page.selectOption('#dispute-achievement', 'weekend-coffee-club');
    await page.getByLabel('Reason (written to the audit log)').fill('the client asks when they earned it');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.waitForSelector('[data-earned]');
    expect(plainText(await page.innerText('[data-earned]'))).toMatch(/^Times earned: 1, the latest on \S/);
    expect(await page.innerText('#dispute-result [data-term="repeat"]')).toBe('earned again every month');
    await page.screenshot({ path: `${OUTPUT}/dispute-latest-earning.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, 180_000);

  /** Presses Tab until the focused element's text (or label) is `name`, as a keyboard user would. */
  async function tabTo(page: Page, name: string) {
    for (let presses = 0; presses < 30; presses++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = (
          globalThis as unknown as {
            document: { activeElement: { textContent: string; labels?: { textContent: string }[] } };
          }
        ).document.activeElement;
        return [element.textContent, element.labels?.[0]?.textContent ?? ''];
      });
      if (focused.some((text) => text.trim() === name)) return;
    }
    throw new Error(`Tab never reached ${name}`);
  }

  it('signs support in and around with the keyboard alone, showing none of the admin controls', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${system.apiUrl}/console`);
    await tabTo(page, 'Token');
    await page.keyboard.type(
      await token({ sub: 'emp-2', role: 'support', exp: Math.floor(Date.now() / 1000) + HOUR_S }),
    );
    await tabTo(page, 'Sign in');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-holders]');
    await tabTo(page, 'Rules');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-examples]');
    expect(await page.getByRole('button', { name: 'Save as a new version' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await page.screenshot({ path: `${OUTPUT}/rules-as-support.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows the page last asked for, whatever order the pages’ data arrive in', async () => {
    const page = await signedIn('support');
    await visit(page, 'rules', '[data-examples]', 'rules-before-a-quick-change');
    // The rules page drawn again for a language change gets its rules late; the disputes page asked for next
    // gets them at once, and draws first.
    let delayed = false;
    await page.route('**/v1/admin/rules', async (route) => {
      if (delayed) return route.continue();
      delayed = true;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await route.continue();
    });
    await page.selectOption('#language', 'uk');
    await page.evaluate("location.hash = '#/disputes'");
    await page.waitForSelector('#dispute-client');
    await page.waitForTimeout(3_000);
    expect(delayed).toBe(true);
    expect(await page.locator('#dispute-client').count()).toBe(1);
    expect(await page.locator('[data-examples]').count()).toBe(0);
    await page.unroute('**/v1/admin/rules');
    await page.selectOption('#language', 'en');
    expect(problems).toEqual([]);
  });
});
