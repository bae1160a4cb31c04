import { z } from '@hono/zod-openapi';
import { ruleSchema } from '../rules/rule-schema.js';

type Documented = Parameters<z.ZodObject['openapi']>[1] & { properties: Record<string, unknown> };

/** A JSON Schema with its references to named schemas (`#/$defs/<name>`) pointing into the components. */
const inComponents = <T>(schema: T): T =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/')) as T;

/** The JSON Schema of what `schema` accepts (its input form), as an OpenAPI 3.1 schema. */
function documentedInput(schema: z.ZodType): Documented {
  const { $schema: _, $defs: __, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return inComponents(json) as Documented;
}

const rule = documentedInput(ruleSchema);

/**
 * The named schemas a rule document refers to (the rule filter, which refers to itself), for the document's
 * components: registered beside `RuleDocument` (api/app.ts).
 */
export const ruleSchemaComponents = inComponents(
  z.toJSONSchema(ruleSchema, { io: 'input', unrepresentable: 'any' }).$defs ?? {},
);

/**
 * A rule document in the engine's rule format (docs: README, "The five-minute achievement"). Documented from
 * the schema that validates it, so the docs cannot drift; the request itself is taken as any object, so that
 * validation, not the router, answers with every field to fix by JSON pointer.
 */
export const ruleDocument = z.looseObject({}).openapi('RuleDocument', {
  ...rule,
  description:
    'A rule: what it counts, over which window, and its levels; optionally an audience and examples',
  properties: {
    ...rule.properties,
    version: {
      ...(rule.properties.version as object),
      description: 'Assigned: the rule’s next version; leave it out or send that',
    },
  },
  required: rule.required?.filter((field) => field !== 'version'),
});

/** The schema of a body that carries a rule document under `rule`, documented as `schema` validates it. */
export function bodyWithRule(name: string, schema: z.ZodType, description: string) {
  const body = documentedInput(schema);
  return z.looseObject({}).openapi(name, {
    ...body,
    description,
    properties: { ...body.properties, rule: { $ref: '#/components/schemas/RuleDocument' } },
  });
}
