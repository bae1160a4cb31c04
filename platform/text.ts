import { z } from 'zod';

/**
 * What may never be inside an identifier: C0 and C1 controls (NUL among them, which PostgreSQL refuses in
 * text), format characters that hide or reorder text (zero-width, bidi overrides, BOM), line separators, and
 * unpaired UTF-16 surrogates, which have no UTF-8 form and so would be stored as something else than what was
 * sent. Written as `\uXXXX` ranges that JavaScript and the JSON Schema validators of other languages read alike.
 */
const NOT_IN_IDENTIFIERS =
  '\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uD800-\\uDFFF';

/** Free text (a reason, an attribute value) may hold joiners such as emoji sequences use, but no controls. */
const NOT_IN_TEXT = '\\u0000-\\u001F\\u007F-\\u009F\\u2028-\\u202E\\u2066-\\u2069\\uD800-\\uDFFF';

/**
 * A pattern admitting none of `forbidden`, without regex flags so the OpenAPI document carries it as is: a
 * surrogate pair is let through as a pair, a lone surrogate is not.
 */
const admitting = (forbidden: string) =>
  new RegExp(`^(?:[^${forbidden}]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$`);

function describeForbidden(input: unknown, forbidden: string, what: string): string {
  const found = new RegExp(`[${forbidden}]`, 'u').exec(String(input));
  if (!found) return `holds characters that are not allowed: ${what}`;
  const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `holds U+${code} at position ${found.index}; ${what} are not allowed`;
}

const restricted = (schema: z.ZodString, forbidden: string, what: string) =>
  schema.regex(admitting(forbidden), { error: (issue) => describeForbidden(issue.input, forbidden, what) });

/** Ids are at most this long: the bank's are far shorter, and every one of them is stored and indexed. */
const MAX_IDENTIFIER_LENGTH = 128;

const IDENTIFIER_TEXT = admitting(NOT_IN_IDENTIFIERS);

/** Whether a value is an id `identifier()` accepts, without zod: for a hot path that needs only a yes. */
export const isIdentifier = (value: unknown, max = MAX_IDENTIFIER_LENGTH): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= max && IDENTIFIER_TEXT.test(value);

/** An id (client, event, merchant, reward, subject): 1 to 128 characters, none of them invisible or control. */
export const identifier = (max = MAX_IDENTIFIER_LENGTH) =>
  restricted(
    z.string().min(1).max(max),
    NOT_IN_IDENTIFIERS,
    'control, format and unpaired surrogate characters',
  );

/** A line of text a person wrote or reads (a reason, an attribute value): at most `max` printable characters. */
export const plainText = (max: number) =>
  restricted(z.string().max(max), NOT_IN_TEXT, 'control characters, line separators and bidi controls');

/** One decoder for every call: a whole-input decode keeps no state between calls, and making one is costly. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly: invalid bytes answer undefined instead of silently becoming U+FFFD. */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const FORBIDDEN_ANYWHERE = new RegExp(`[${NOT_IN_IDENTIFIERS}]`, 'gu');

/** `text` with every character an identifier may not hold shown as its `\uXXXX` escape, safe to store and log. */
export function printable(text: string): string {
  return text.replace(
    FORBIDDEN_ANYWHERE,
    (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/**
 * Names every JavaScript object already has (`__proto__`, `constructor`, `toString` …). As keys of the plain
 * objects JSON parses into they read, or set, what the object inherits instead of a value of its own: an
 * attribute `__proto__` would be dropped (or become every attribute's fallback), and `constructor in unlocked`
 * holds for every client. Ids and names that become such keys refuse them.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);

/** `schema` refusing the names every object already has (see `RESERVED_NAMES`). */
export const notReserved = (schema: z.ZodString) =>
  schema.refine((name) => !RESERVED_NAMES.has(name), {
    error: (issue) => `"${String(issue.input)}" is a name every object already has; choose another`,
  });

/** What `text` holds as JSON, or undefined when it is not JSON: for input a schema checks next. */
export function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
