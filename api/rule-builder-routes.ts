import { createRoute, z } from '@hono/zod-openapi';
import { EXAMPLE_RULES_DIR, readRuleFiles } from '../platform/catalog-files.js';
import { clientEventSchema, transactionSchema } from '../rules/events.js';
import { ruleSchema } from '../rules/rule-schema.js';
import { SUMMARY_LANGUAGES, summarizeRule, type SummaryLanguage } from '../rules/rule-summary.js';
import type { AuthEnv } from './auth.js';
import { LOCALES, localized, pickLocale } from './locale.js';
import { forOperations, refusals, security } from './operations.js';
import { createRouter } from './router.js';

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of what `schema` accepts (its input form), its references at `#/$defs/<name>`. */
function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return json;
}

/** The member of `schema` at `path` (each step a key), or a failure at start: the rule format changed shape. */
function at(schema: JsonSchema, path: string[]): JsonSchema {
  return path.reduce<JsonSchema>((node, key) => {
    const next = node[key];
    if (typeof next !== 'object' || next === null)
      throw new Error(`the rule schema has no ${path.join('.')}; the rule builder's schema needs it`);
    return next as JsonSchema;
  }, schema);
}

/** An event of an example in its short form: what rule-schema.ts fills in by default is not required. */
function exampleEvent(schema: z.ZodType, title: string, defaulted: string[]): JsonSchema {
  const json = inputSchema(schema);
  const required = (json.required as string[] | undefined) ?? [];
  return { ...json, title, required: required.filter((field) => !defaulted.includes(field)) };
}

/**
 * The rule document's JSON Schema as the builder renders it: the API's own schema (`ruleSchema`, as
 * POST /v1/admin/rules validates), with `version` left to the API (it assigns the next one), and an example's
 * events, which the rule schema takes as anything and reads with the input topics' schemas, described by those.
 */
export function ruleBuilderSchema(): JsonSchema {
  const schema = inputSchema(ruleSchema);
  schema.required = (schema.required as string[]).filter((field) => field !== 'version');
  schema.$defs = {
    ...(schema.$defs as JsonSchema | undefined),
    ExampleTransaction: exampleEvent(transactionSchema, 'card transaction', [
      'id',
      'clientId',
      'kind',
      'currency',
      'merchantId',
    ]),
    ExampleClientEvent: exampleEvent(clientEventSchema, 'client event', ['id', 'clientId']),
  };
  at(schema, ['properties', 'examples', 'items', 'properties', 'given']).items = {
    anyOf: [{ $ref: '#/$defs/ExampleTransaction' }, { $ref: '#/$defs/ExampleClientEvent' }],
  };
  return schema;
}

const jsonSchemaDocument = z
  .looseObject({})
  .openapi('RuleBuilderSchema', { description: 'A JSON Schema (draft 2020-12) of a rule document' });

const schemaRoute = createRoute({
  method: 'get',
  path: '/v1/admin/rules/schema',
  operationId: 'getRuleSchema',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary: 'The JSON Schema rule documents are validated with, from which the console builds its form',
  responses: {
    200: {
      description:
        'The rule schema in its input form (what a document may say), an example’s events described by the input topics’ schemas',
      content: { 'application/json': { schema: jsonSchemaDocument } },
    },
    ...refusals,
  },
});

const template = z.object({
  id: z.string(),
  title: z.string().openapi({ description: 'Its first level’s title, in the language asked for' }),
  summary: z.string().openapi({ description: 'The rule in one sentence, in English or Ukrainian' }),
  document: z.looseObject({}),
});

const templatesRoute = createRoute({
  method: 'get',
  path: '/v1/admin/rules/templates',
  operationId: 'listRuleTemplates',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary: 'Starting points for a new rule: the example rules of the campaign language (catalog/examples)',
  responses: {
    200: {
      description: 'The example rules, each a document to start from',
      content: { 'application/json': { schema: z.object({ templates: z.array(template) }) } },
    },
    ...refusals,
  },
});

const draft = z.looseObject({}).openapi('RuleDraft', {
  description: 'A rule document, whole or in part (a draft being written); what is missing is left unsaid',
});

const summaryRoute = createRoute({
  method: 'post',
  path: '/v1/admin/rules/summary',
  operationId: 'summarizeRule',
  tags: ['rules'],
  security,
  middleware: forOperations,
  summary: 'A rule draft in one plain sentence, in English or Ukrainian (by Accept-Language)',
  request: { body: { required: true, content: { 'application/json': { schema: draft } } } },
  responses: {
    200: {
      description: 'The sentence, and the language it is in',
      content: {
        'application/json': {
          schema: z.object({ language: z.enum(SUMMARY_LANGUAGES), summary: z.string() }),
        },
      },
    },
    ...refusals,
  },
});

const summaryLanguage = (acceptLanguage: string | undefined) =>
  pickLocale(acceptLanguage, SUMMARY_LANGUAGES) as SummaryLanguage;

/** The first level's title of a template, in the language asked for. */
function titleOf(document: unknown, locale: string): string {
  const levels = (document as { levels?: { title?: Record<string, string> }[] }).levels;
  return localized(levels?.[0]?.title ?? {}, locale);
}

/**
 * `GET /v1/admin/rules/schema`, `GET /v1/admin/rules/templates` and `POST /v1/admin/rules/summary` (CONTRACT
 * §6): what the console's rule builder is made of. Neither reads nor writes anything but the rule files shipped.
 */
export function ruleBuilderRoutes(templatesDir = EXAMPLE_RULES_DIR) {
  const schema = ruleBuilderSchema();
  const templates = readRuleFiles(templatesDir).map(({ document }) => document as JsonSchema);
  const app = createRouter<AuthEnv>();
  app.openapi(schemaRoute, (c) => c.json(schema, 200));
  app.openapi(templatesRoute, (c) => {
    const acceptLanguage = c.req.header('Accept-Language');
    const locale = pickLocale(acceptLanguage, LOCALES);
    const language = summaryLanguage(acceptLanguage);
    return c.json(
      {
        templates: templates.map((document) => ({
          id: String(document.id),
          title: titleOf(document, locale),
          summary: summarizeRule(document, language),
          document,
        })),
      },
      200,
    );
  });
  app.openapi(summaryRoute, (c) => {
    const language = summaryLanguage(c.req.header('Accept-Language'));
    return c.json({ language, summary: summarizeRule(c.req.valid('json'), language) }, 200);
  });
  return app;
}
