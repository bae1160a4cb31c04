import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../rules/rule-schema.js';
import { apiDependencies } from '../test/support/api.js';
import { token } from '../test/support/tokens.js';
import { createApp } from './app.js';
import { FIELDS, OPTIONS, presetKeys } from './console/rule-builder-fields.js';
import {
  emptyValue,
  planOf,
  resolve,
  variantIndex,
  variantsOf,
  type JsonSchema,
} from './console/rule-builder-schema.js';

const app = createApp(apiDependencies());

async function ask(path: string, options: { role?: string; body?: unknown; language?: string } = {}) {
  const { role = 'support', body, language } = options;
  return app.request(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      Authorization: `Bearer ${await token({ role, sub: 'emp-1' })}`,
      ...(language ? { 'Accept-Language': language } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const servedSchema = async () => (await (await ask('/v1/admin/rules/schema')).json()) as JsonSchema;

/**
 * Every field a JSON Schema accepts, walked on its own terms (not with the builder's code): each property,
 * each array's element and map's value (`*`), through every variant of a union; a named schema met again
 * (the filter inside `not`) is a field there, its parts already walked where it was first met. Each with the
 * enum values and constants it may take.
 */
function fieldsOf(root: JsonSchema): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const walked = new Set<string>();
  const note = (pattern: string, values: unknown[] = []) => {
    const known = found.get(pattern) ?? new Set<string>();
    for (const value of values) known.add(String(value));
    found.set(pattern, known);
  };
  const walk = (given: JsonSchema, pattern: string, own: boolean) => {
    let node = given;
    if (typeof node.$ref === 'string') {
      if (walked.has(node.$ref)) return note(pattern);
      walked.add(node.$ref);
      node = (root.$defs as Record<string, JsonSchema>)[node.$ref.replace('#/$defs/', '')]!;
    }
    if (own) note(pattern, [...((node.enum as unknown[]) ?? []), ...('const' in node ? [node.const] : [])]);
    for (const member of (node.anyOf ?? node.oneOf ?? []) as JsonSchema[]) walk(member, pattern, false);
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>))
      walk(child, `${pattern}/${name}`, true);
    if (typeof node.items === 'object') walk(node.items as JsonSchema, `${pattern}/*`, true);
    if (typeof node.additionalProperties === 'object')
      walk(node.additionalProperties as JsonSchema, `${pattern}/*`, true);
  };
  walk(root, '', true);
  return found;
}

const named = (texts: { en?: unknown; uk?: unknown } | undefined) =>
  typeof texts?.en === 'string' && texts.en !== '' && typeof texts.uk === 'string' && texts.uk !== '';

describe('GET /v1/admin/rules/schema', () => {
  it('serves the schema the API validates rules with: every field of it, version left to the API', async () => {
    const served = await servedSchema();
    const validated = z.toJSONSchema(ruleSchema, { io: 'input', unrepresentable: 'any' });
    expect(Object.keys(served.properties as object)).toEqual(Object.keys(validated.properties!));
    expect(served.required).toEqual(validated.required!.filter((field) => field !== 'version'));
    expect(served.$defs).toMatchObject(validated.$defs!);
    const given = resolve(
      served,
      (served.properties as Record<string, JsonSchema>).examples!.items as JsonSchema,
    );
    expect(
      variantsOf(served, (given.properties as Record<string, JsonSchema>).given!.items as JsonSchema),
    ).toEqual([
      expect.objectContaining({ key: 'card transaction' }),
      expect.objectContaining({ key: 'client event' }),
    ]);
  });

  it('is for support and admins, not clients nor anyone without a token', async () => {
    expect((await ask('/v1/admin/rules/schema', { role: 'admin' })).status).toBe(200);
    expect((await ask('/v1/admin/rules/schema', { role: 'client' })).status).toBe(403);
    expect((await app.request('/v1/admin/rules/schema')).status).toBe(401);
  });
});

describe('the schema-drift test: the builder has a control, named in English and Ukrainian, for every field', () => {
  it('plans a control the form draws for every field of the served schema, and labels each', async () => {
    const schema = await servedSchema();
    const fields = fieldsOf(schema);
    const plan = planOf(schema).fields;
    // A field of a shape the form has no control for is planned as `unsupported`.
    expect(plan.filter((field) => field.shape === 'unsupported')).toEqual([]);
    const unplanned = [...fields.keys()].filter(
      (pattern) => !plan.some((field) => field.pattern === pattern),
    );
    expect(unplanned, 'fields the builder has no control for').toEqual([]);
    const unnamed = [...fields.keys()].filter((pattern) => !named(FIELDS[pattern]));
    expect(unnamed, 'fields with no label in en and uk (api/console/rule-builder-fields.js)').toEqual([]);
    const values = [...fields.values()].flatMap((known) => [...known]);
    const variants = plan.flatMap((field) => field.variants ?? []);
    const unnamedOptions = [...new Set([...values, ...variants])].filter((value) => !named(OPTIONS[value]));
    expect(unnamedOptions, 'enum values, constants and variants with no label in en and uk').toEqual([]);
    const maps = plan.filter((field) => field.shape === 'record').map((field) => field.pattern);
    expect(
      maps.filter((pattern) => !named(FIELDS[pattern]?.key)),
      'maps whose keys have no name',
    ).toEqual([]);
    // And no label is left for a field the schema no longer has.
    expect(Object.keys(FIELDS).filter((pattern) => !fields.has(pattern))).toEqual([]);
  });

  it('starts an empty rule with what the schema requires, a title in en, uk and he', async () => {
    const schema = await servedSchema();
    expect(emptyValue(schema, schema, '', presetKeys)).toEqual({
      trigger: { on: 'transaction' },
      measure: { type: 'first' },
      window: { type: 'lifetime' },
      levels: [{ title: { en: '', uk: '', he: '' }, description: { en: '', uk: '', he: '' } }],
    });
  });

  it('tells which variant a value is: by its constant, by what it requires, by its type', async () => {
    const schema = await servedSchema();
    const node = (path: string[]) =>
      path.reduce<JsonSchema>((at, key) => (resolve(schema, at)[key] ?? {}) as JsonSchema, schema);
    const event = node(['properties', 'examples', 'items', 'properties', 'given', 'items']);
    expect(variantIndex(schema, event, { amount: 1, time: 't', categoryId: 1 })).toBe(0);
    expect(variantIndex(schema, event, { type: 'profile.updated', time: 't' })).toBe(1);
    expect(variantIndex(schema, event, { type: 'profile.updated' })).toBe(1);
    const measure = node(['properties', 'measure']);
    expect(variantIndex(schema, measure, { type: 'distinct', field: 'country' })).toBe(3);
    const nudge = node(['properties', 'levels', 'items', 'properties', 'nudges', 'items']);
    expect(variantIndex(schema, nudge, { toGo: 2 })).toBe(1);
    const value = node(['properties', 'filter', 'properties', 'attributes', 'additionalProperties']);
    expect([true, 3, 'web'].map((given) => variantIndex(schema, value, given))).toEqual([2, 1, 0]);
  });
});

describe('GET /v1/admin/rules/templates', () => {
  it('gives each example rule as a starting point, titled and said in the language asked for', async () => {
    const answer = await ask('/v1/admin/rules/templates', { language: 'uk' });
    expect(answer.status).toBe(200);
    const { templates } = (await answer.json()) as {
      templates: { id: string; title: string; summary: string; document: { id: string } }[];
    };
    expect(templates.map((template) => template.id)).toContain('december-challenge');
    const monthly = templates.find((template) => template.id === 'coffee-lover-monthly')!;
    expect(monthly.title).toBe('Кавоман місяця');
    expect(monthly.summary).toBe(
      '10 покупок у категорії 5814 за один календарний місяць, здобувається знову щомісяця: 100 балів',
    );
    expect(monthly.document.id).toBe('coffee-lover-monthly');
  });
});

describe('POST /v1/admin/rules/summary', () => {
  const draft = {
    trigger: { on: 'transaction' },
    filter: { kinds: ['purchase'], categoryIds: [5814] },
    measure: { type: 'count' },
    levels: [{ target: 10 }],
  };

  it('says a draft in one sentence, in English or Ukrainian by Accept-Language (English for others)', async () => {
    const said = async (language?: string) =>
      (await (
        await ask('/v1/admin/rules/summary', { body: draft, ...(language ? { language } : {}) })
      ).json()) as {
        language: string;
        summary: string;
      };
    expect(await said()).toEqual({ language: 'en', summary: '10 purchases in category 5814' });
    expect(await said('uk-UA,uk;q=0.9')).toEqual({ language: 'uk', summary: '10 покупок у категорії 5814' });
    expect((await said('he')).language).toBe('en');
  });

  it('takes any object, refuses anything else, and is for staff only', async () => {
    expect((await ask('/v1/admin/rules/summary', { body: { levels: 'many' } })).status).toBe(200);
    expect((await ask('/v1/admin/rules/summary', { body: [draft] })).status).toBe(400);
    expect((await ask('/v1/admin/rules/summary', { body: draft, role: 'client' })).status).toBe(403);
  });

  it('is documented in /openapi.json with the builder’s other routes', async () => {
    const { paths } = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, object>;
    };
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/admin/rules/schema',
        '/v1/admin/rules/templates',
        '/v1/admin/rules/summary',
      ]),
    );
  });
});
