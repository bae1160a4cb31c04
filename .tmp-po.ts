import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Kafka } from 'kafkajs';
import { chromium } from 'playwright-core';
const OUT = 'output/console-npm-start';
mkdirSync(OUT, { recursive: true });
const api = 'http://127.0.0.1:8080';
const token = execSync('npx tsx scripts/token.ts --role admin --sub emp-1', { encoding: 'utf8' }).split('\n')[0]!;
const rule = {
  id: 'restaurant-regular',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5812] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  levels: [
    { achievementId: 'restaurant-regular', target: 4, points: 40, title: { en: 'Restaurant regular', uk: 'Постійний гість ресторанів', he: 'קבוע במסעדות' }, description: { en: 'Eat out 4 times in a calendar month.', uk: 'Повечеряйте в ресторані 4 рази за місяць.', he: '4 ביקורים במסעדה בחודש.' } },
    { achievementId: 'restaurant-gourmet', target: 8, points: 120, title: { en: 'Gourmet', uk: 'Гурман', he: 'גורמה' }, description: { en: 'Eat out 8 times in a calendar month.', uk: 'Повечеряйте в ресторані 8 разів за місяць.', he: '8 ביקורים במסעדה בחודש.' } },
  ],
  examples: [{ name: 'four dinners in November', given: [3, 10, 17, 24].map((d) => ({ amount: 90000, time: `2026-11-${String(d).padStart(2, "0")}T19:00:00+02:00`, categoryId: 5812 })), then: { unlocked: ['restaurant-regular'], measures: [1, 2, 3, 4] } }],
};
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('pageerror', (e) => console.log('pageerror', e.message));
const t0 = Date.now();
const step = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
await page.goto(`${api}/console`);
await page.getByLabel('Token').fill(token);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForSelector('[data-holders]');
await page.screenshot({ path: `${OUT}/1-achievements.png`, fullPage: true });
await page.getByRole('button', { name: 'Details: coffee-lover' }).click();
await page.waitForSelector('#achievement-details svg');
await page.locator('#achievement-details').screenshot({ path: `${OUT}/2-coffee-lover-details.png` });
step('achievements read');
const kafka = new Kafka({ brokers: ['127.0.0.1:9092'], logLevel: 0 });
const producer = kafka.producer();
await producer.connect();
const now = Date.now();
await producer.send({ topic: 'bank.transactions.v1', messages: [
  { key: 'c-7', value: JSON.stringify({ id: `tx-po-${now}`, clientId: 'c-7', kind: 'purchase', amount: 90000, currency: 'UAH', time: new Date(now - 3600000).toISOString(), categoryId: 5812, merchantId: 'm-r1' }), timestamp: String(now - 3 * 86400000) },
  { key: 'c-8', value: '{"id":"tx-x","clientId":"c-8","kind":"purchase","amount":-5}' },
] });
await producer.disconnect();
await new Promise((r) => setTimeout(r, 3000));
await page.goto(`${api}/console#/dead-letters`);
await page.waitForSelector('#dlq-why');
await page.getByLabel('Reason to read or redrive (written to the audit log)').fill('producer clock fixed (INC-1234)');
const id = execSync(`psql postgres://achievements@127.0.0.1:55432/achievements -Atc "select max(id) from dead_letters where reason = 'impossible-time'"`, { encoding: 'utf8' }).trim();
await page.getByRole('button', { name: `Show original #${id}` }).click();
await page.waitForSelector('#dlq-original pre');
await page.getByLabel(`Choose ${id}`).check();
await page.getByRole('button', { name: 'Redrive the chosen records' }).click();
await new Promise((r) => setTimeout(r, 4000));
await page.reload();
await page.waitForSelector('#dlq-why');
step('redrive statuses: ' + (await page.locator('[data-redrive]').allTextContents()).filter(Boolean).slice(0, 3).join(' | '));
await page.screenshot({ path: `${OUT}/9-dead-letters.png`, fullPage: true });
await page.goto(`${api}/console#/audit`);
await page.waitForSelector('#audit-entries table');
await page.screenshot({ path: `${OUT}/10-audit.png`, fullPage: true });
await page.selectOption('#language', 'uk');
await page.goto(`${api}/console#/rules`);
await page.waitForSelector('[data-examples]');
await page.screenshot({ path: `${OUT}/11-rules-uk.png`, fullPage: true });
await browser.close();
step('done');
