/**
 * How the rule builder reads the API's JSON Schema of a rule document (GET /v1/admin/rules/schema): which
 * control each part of it takes (its shape), the variants of a union, a new part's first value, and where a
 * JSON pointer leads. Pure, so the same functions draw the form and prove, in a unit test, that every field the
 * schema accepts has a control and a label.
 *
 * A field is named by its pattern: its JSON pointer with `*` for an array's element or a map's value
 * (`/levels/*\/title/*`). A schema met again through a reference (the rule filter, which holds filters under
 * `not`, `any` and `all`) has the pattern where it was met first (`/filter/not/kinds` is `/filter/kinds`).
 */

/** `hours.from` and `hours.to`: a time of day, which a time input writes as the schema wants it. */
const TIME_OF_DAY = '^([01]\\d|2[0-3]):[0-5]\\d$';

/** Whether a JSON value is an object (not null, not an array): a document's part with fields of its own. */
export const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The named schema a `$ref` points at, with what the referring schema adds (its default). */
export function resolve(root, node) {
  let schema = node ?? {};
  for (let hops = 0; schema.$ref && hops < 8; hops++) {
    const { $ref, ...rest } = schema;
    schema = { ...root.$defs?.[$ref.replace('#/$defs/', '')], ...rest };
  }
  return schema;
}

const membersOf = (schema) => schema.anyOf ?? schema.oneOf;
const isNull = (root, schema) => resolve(root, schema).type === 'null';

/**
 * The control a schema takes: `object` (a fieldset of its properties), `record` (names and values), `list`
 * (elements added and removed), `choices` (a list of enum values: checkboxes), `union` (a chooser of the
 * variant), `nullable` (its member, left out for null), `enum`, `const`, `boolean`, `number`, `string`,
 * `date-time`, `time`, `null`, `json` (anything: a JSON value), or `unsupported`.
 */
export function shapeOf(root, node) {
  const schema = resolve(root, node);
  const members = membersOf(schema);
  if (members) {
    const others = members.filter((member) => !isNull(root, member));
    return others.length === 1 && members.length === 2 ? 'nullable' : 'union';
  }
  if ('enum' in schema) return 'enum';
  if ('const' in schema) return 'const';
  switch (schema.type) {
    case 'boolean':
    case 'null':
      return schema.type;
    case 'integer':
    case 'number':
      return 'number';
    case 'string':
      if (schema.format === 'date-time') return 'date-time';
      return schema.pattern === TIME_OF_DAY ? 'time' : 'string';
    case 'array':
      if (typeof schema.items !== 'object') return 'unsupported';
      return 'enum' in resolve(root, schema.items) ? 'choices' : 'list';
    case 'object':
      if (schema.properties) return 'object';
      return schema.additionalProperties === false ? 'object' : 'record';
    case undefined:
      return Object.keys(schema).every((key) => ['default', 'description', 'title'].includes(key))
        ? 'json'
        : 'unsupported';
    default:
      return 'unsupported';
  }
}

/** The member of a nullable schema that is not null. */
export const nonNullMember = (root, schema) =>
  membersOf(resolve(root, schema)).find((member) => !isNull(root, member));

/** The property every object variant of a union fixes to a constant (`on`, `type`), if there is one. */
export function discriminatorOf(root, schema) {
  const variants = membersOf(resolve(root, schema)).map((member) => resolve(root, member));
  const first = variants[0]?.properties ?? {};
  return Object.keys(first).find((name) =>
    variants.every((variant) => variant.type === 'object' && 'const' in (variant.properties?.[name] ?? {})),
  );
}

/**
 * The variants of a union, each with the key its label is found by: the constant it is told by, its title,
 * the property only it requires, or its type.
 */
export function variantsOf(root, node) {
  const schema = resolve(root, node);
  const discriminator = discriminatorOf(root, schema);
  return membersOf(schema).map((member) => {
    const variant = resolve(root, member);
    const key =
      (discriminator && variant.properties[discriminator].const) ??
      variant.title ??
      (variant.type === 'object'
        ? (variant.required?.[0] ?? Object.keys(variant.properties ?? {})[0])
        : undefined) ??
      variant.type ??
      'json';
    return { key: String(key), schema: member };
  });
}

const kindOf = (value) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'object'
        ? 'object'
        : typeof value;

/** Whether a value is of a variant's type, and (an object) has what it requires and nothing it does not know. */
function fits(root, member, value) {
  const variant = resolve(root, member);
  const kind = kindOf(value);
  if (variant.type === 'integer') return kind === 'number' && Number.isInteger(value);
  if (variant.type !== undefined && variant.type !== kind) return false;
  if (kind !== 'object') return true;
  const known = Object.keys(variant.properties ?? {});
  const closed = variant.additionalProperties === false || variant.properties !== undefined;
  return (
    (variant.required ?? []).every((name) => name in value) &&
    (!closed || Object.keys(value).every((name) => known.includes(name)))
  );
}

/** Which variant of a union a value is: by its constant, else the first it fits, else the nearest. */
export function variantIndex(root, node, value) {
  const schema = resolve(root, node);
  const members = membersOf(schema);
  const discriminator = discriminatorOf(root, schema);
  if (discriminator) {
    const found = members.findIndex(
      (member) => resolve(root, member).properties[discriminator].const === value?.[discriminator],
    );
    return Math.max(0, found);
  }
  const fitting = members.findIndex((member) => fits(root, member, value));
  if (fitting >= 0) return fitting;
  if (kindOf(value) !== 'object') return 0;
  const shared = (member) =>
    Object.keys(value).filter((name) => name in (resolve(root, member).properties ?? {})).length;
  return members.reduce((best, member, i) => (shared(member) > shared(members[best]) ? i : best), 0);
}

/** Whether a property may be left out (a default, as `filter: {}`, makes it not required in the input form). */
export const isOptional = (root, parent, name) => !(resolve(root, parent).required ?? []).includes(name);

/**
 * The first value of a part the owner adds: an object with its required parts, a union's first variant, an
 * enum's first value, one element of a list of objects that needs one; a number or text is left empty
 * (undefined). `presetKeys(pattern)` names the keys a map starts with (en, uk and he for a title).
 */
export function emptyValue(root, node, pattern, presetKeys = () => []) {
  const schema = resolve(root, node);
  switch (shapeOf(root, schema)) {
    case 'object': {
      const value = {};
      for (const name of schema.required ?? []) {
        const part = emptyValue(root, schema.properties[name], `${pattern}/${escape(name)}`, presetKeys);
        if (part !== undefined) value[name] = part;
      }
      return value;
    }
    case 'union':
      return emptyValue(root, membersOf(schema)[0], pattern, presetKeys);
    case 'nullable':
      return emptyValue(root, nonNullMember(root, schema), pattern, presetKeys);
    case 'record': {
      const blank = emptyValue(root, schema.additionalProperties, `${pattern}/*`, presetKeys);
      return Object.fromEntries(presetKeys(pattern).map((key) => [key, blank ?? '']));
    }
    case 'list': {
      const items = resolve(root, schema.items);
      const needsOne = (schema.minItems ?? 0) > 0 && ['object', 'union'].includes(shapeOf(root, items));
      return needsOne ? [emptyValue(root, items, `${pattern}/*`, presetKeys)] : [];
    }
    case 'choices':
      return [];
    case 'enum':
      return schema.enum[0];
    case 'const':
      return schema.const;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** A name as a JSON pointer writes it (RFC 6901). */
export const escape = (name) => String(name).replaceAll('~', '~0').replaceAll('/', '~1');
const unescape = (token) => token.replaceAll('~1', '/').replaceAll('~0', '~');

export const tokensOf = (pointer) => (pointer === '' ? [] : pointer.slice(1).split('/').map(unescape));

/** The value at a pointer, or undefined. */
export function valueAt(document, pointer) {
  return tokensOf(pointer).reduce((value, token) => value?.[token], document);
}

/**
 * Sets (or, with undefined, removes) the value at a pointer, making the objects on the way; an array's
 * element removed is taken out of it, the elements after it moving up.
 */
export function setAt(document, pointer, value) {
  const tokens = tokensOf(pointer);
  if (tokens.length === 0) return value;
  let parent = document;
  for (const [i, token] of tokens.slice(0, -1).entries()) {
    if (typeof parent[token] !== 'object' || parent[token] === null)
      parent[token] = /^\d+$/.test(tokens[i + 1]) ? [] : {};
    parent = parent[token];
  }
  const last = tokens.at(-1);
  if (value !== undefined) parent[last] = value;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return document;
}

/** The fields of the schema, depth first, each once: its pattern, shape, enum values and variant keys. */
export function planOf(root) {
  const fields = [];
  const canonical = {};
  const seen = new Set();
  const visit = (node, pattern, own = true) => {
    if (node?.$ref) {
      if (node.$ref in canonical) {
        if (own) add(node, pattern);
        return;
      }
      canonical[node.$ref] = pattern;
    }
    const schema = resolve(root, node);
    const shape = shapeOf(root, schema);
    if (own) add(schema, pattern);
    for (const [child, childPattern, childOwn] of childrenOf(root, schema, shape, pattern))
      visit(child, childPattern, childOwn);
  };
  // A pattern two variants give different schemas (`/measure/field`: amount, or one of four) is listed for each.
  const add = (schema, pattern) => {
    const shape = shapeOf(root, schema);
    const resolved = resolve(root, schema);
    const field = {
      pattern,
      shape,
      ...(shape === 'enum' ? { values: resolved.enum.map(String) } : {}),
      ...(shape === 'const' ? { values: [String(resolved.const)] } : {}),
      ...(shape === 'choices' ? { values: resolve(root, resolved.items).enum.map(String) } : {}),
      ...(shape === 'union' ? { variants: variantsOf(root, resolved).map((variant) => variant.key) } : {}),
    };
    const key = JSON.stringify(field);
    if (seen.has(key)) return;
    seen.add(key);
    fields.push(field);
  };
  visit(root, '');
  return { fields, canonical };
}

/** What a schema holds, as [schema, pattern, whether it is a field of its own]: a variant is not, its parts are. */
function childrenOf(root, schema, shape, pattern) {
  switch (shape) {
    case 'object':
      return Object.entries(schema.properties ?? {}).map(([name, child]) => [
        child,
        `${pattern}/${escape(name)}`,
        true,
      ]);
    case 'record':
      return [[schema.additionalProperties, `${pattern}/*`, true]];
    case 'list':
    case 'choices':
      return [[schema.items, `${pattern}/*`, true]];
    case 'nullable':
      return [[nonNullMember(root, schema), pattern, false]];
    case 'union':
      return membersOf(schema).map((member) => [member, pattern, false]);
    default:
      return [];
  }
}

/**
 * The schema a part of the document takes, resolved, and the pattern its own parts are named under: its own
 * pattern, or, for a schema met again through a reference, the pattern where it was met first.
 */
export function enter(root, node, pattern, canonical) {
  const base = node?.$ref !== undefined ? (canonical[node.$ref] ?? pattern) : pattern;
  return { schema: resolve(root, node), base };
}

/**
 * A copy of the document with each object's members in the order its schema names them (a rule reads id,
 * trigger, filter … levels, examples), whatever order the owner added them in; members the schema does not
 * name come last, as they were.
 */
export function inSchemaOrder(root, node, value) {
  const schema = resolve(root, node);
  switch (shapeOf(root, schema)) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const named = Object.keys(schema.properties ?? {}).filter((name) => name in value);
      const others = Object.keys(value).filter((name) => !named.includes(name));
      return Object.fromEntries([
        ...named.map((name) => [name, inSchemaOrder(root, schema.properties[name], value[name])]),
        ...others.map((name) => [name, value[name]]),
      ]);
    }
    case 'union':
      return inSchemaOrder(root, membersOf(schema)[variantIndex(root, schema, value)], value);
    case 'nullable':
      return value === null ? null : inSchemaOrder(root, nonNullMember(root, schema), value);
    case 'list':
      return Array.isArray(value) ? value.map((item) => inSchemaOrder(root, schema.items, item)) : value;
    case 'record':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      return Object.fromEntries(
        Object.entries(value).map(([name, inner]) => [
          name,
          inSchemaOrder(root, schema.additionalProperties, inner),
        ]),
      );
    default:
      return value;
  }
}
