import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuleApi } from './support/rule-api.js';
import { migratedSchema } from './support/stack.js';
import { taxiRule } from './support/taxi-rule.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);

/** Controls and bidi overrides: in no text of a rule, whoever reads it. */
const CONTROLS = ['\u202Eredro\u202C', 'nul\u0000here', 'line\nbreak', '\uD800'];

/** What an attacker with an admin's token would slip into a push: each a text a client may never read. */
const HOSTILE = [
  ...CONTROLS,
  'https://evil.example/login?pan=4111111111111111',
  'claim at evil.example/now',
  'javascript:alert(1)',
  'card 4111 1111 1111 1111',
  'IBAN UA21 3223 1300 0002 6007 2335 6600 1',
  '<img src=x onerror=alert(1)>',
  'Fish &amp; chips',
  'a\u200Bb',
];

/**
 * The texts of a rule a client reads, and an example's name (which only operations read), by JSON pointer: how
 * to put a text there, and what is refused there.
 */
const FIELDS: [string, (text: string) => object, string[]][] = ['en', 'uk', 'he'].flatMap((locale) => [
  [
    `/levels/0/title/${locale}`,
    (text: string) => ({
      levels: [{ ...taxiRule.levels[0], title: { ...taxiRule.levels[0]!.title, [locale]: text } }],
    }),
    HOSTILE,
  ],
  [
    `/levels/0/description/${locale}`,
    (text: string) => ({
      levels: [
        { ...taxiRule.levels[0], description: { ...taxiRule.levels[0]!.description, [locale]: text } },
      ],
    }),
    HOSTILE,
  ],
]);
FIELDS.push([
  '/examples/0/name',
  (text) => ({ examples: [{ ...taxiRule.examples[0], name: text }] }),
  CONTROLS,
]);

/** Plain words around the hostile part, so it is found wherever it sits. */
const words = fc.array(fc.constantFrom('Taxi', 'rider', 'Таксі', 'מונית', '3', 'rides', '.', ','), {
  maxLength: 6,
});

describe('rule documents with hostile texts (CONTRACT §6, "What a rule may carry")', () => {
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let api: Awaited<ReturnType<typeof startRuleApi>>;

  beforeAll(async () => {
    db = await migratedSchema();
    api = await startRuleApi(db.pool);
  });

  afterAll(async () => {
    api?.stop();
    await db?.drop();
  });

  // One employee each call: the API's limit on operations per employee is not what is tested here.
  let calls = 0;
  const call = (method: string, path: string, body?: unknown) =>
    api.call(method, path, body, { role: 'admin', sub: `emp-${++calls}` });
  const storedVersions = async () =>
    Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM rule_versions')).rows[0]!.n);

  it('are refused alike by create and check, at the field, and nothing is stored', async () => {
    console.log(`hostile rule texts: seed ${SEED}`);
    const before = await storedVersions();
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...FIELDS)
          .chain((field) => fc.tuple(fc.constant(field), fc.constantFrom(...field[2]))),
        words,
        words,
        async ([[pointer, place], hostile], prefix, suffix) => {
          const text = [...prefix, hostile, ...suffix].join(' ');
          const document = { ...taxiRule, ...place(text) };
          const created = await call('POST', '/v1/admin/rules', document);
          expect(created.status).toBe(400);
          expect(created.headers.get('content-type')).toContain('application/problem+json');
          const refusal = (await created.json()) as { errors: { pointer: string }[] };
          expect(refusal.errors.map((error) => error.pointer)).toContain(pointer);
          const checked = (await (await call('POST', '/v1/admin/rules/check', document)).json()) as {
            ok: boolean;
            problems: { pointer: string }[];
          };
          expect(checked.ok).toBe(false);
          expect(checked.problems.map((problem) => problem.pointer)).toContain(pointer);
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
    expect(await storedVersions()).toBe(before);
  }, 120_000);

  it('are refused past their bound: a 700 KB title neither stored nor evaluated', async () => {
    const document = { ...taxiRule, ...FIELDS[0]![1]('T'.repeat(700_000)) };
    const created = await call('POST', '/v1/admin/rules', document);
    expect(created.status).toBe(400);
    expect(await created.json()).toMatchObject({
      errors: [{ pointer: '/levels/0/title/en', detail: expect.stringMatching(/<=100 characters/) }],
    });
  });

  it('accept a rule whose texts are plain, in every language', async () => {
    const plain = {
      ...taxiRule,
      id: 'taxi-plain',
      levels: [{ ...taxiRule.levels[0], achievementId: 'taxi-plain' }],
    };
    const document = {
      ...plain,
      examples: [
        { ...taxiRule.examples[0], then: { ...taxiRule.examples[0]!.then, unlocked: ['taxi-plain'] } },
      ],
    };
    expect((await call('POST', '/v1/admin/rules', document)).status).toBe(201);
  });
});
