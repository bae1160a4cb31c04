import { z } from 'zod';

/**
 * What may never be inside an identifier: control and format characters (NUL, which PostgreSQL refuses in
 * text; bidi overrides, which make logs and screens lie), line separators, and unpaired UTF-16 surrogates,
 * which have no UTF-8 form and so would be stored as something else than what was sent.
 */
const NOT_IN_IDENTIFIERS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Free text (a reason, an attribute value) may hold format characters such as emoji joiners, but no bidi controls. */
const NOT_IN_TEXT = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

/** Ids are at most this long: the bank's are far shorter, and every one of them is stored and indexed. */
export const MAX_IDENTIFIER_LENGTH = 128;

function describeCharacter(text: string, pattern: RegExp): string {
  const found = pattern.exec(text)!;
  const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `U+${code} at position ${found.index}`;
}

function withoutForbidden(schema: z.ZodString, pattern: RegExp, what: string) {
  return schema.superRefine((text, ctx) => {
    if (!pattern.test(text)) return;
    ctx.addIssue({
      code: 'custom',
      message: `holds ${describeCharacter(text, pattern)}; ${what} are not allowed`,
    });
  });
}

/** An id (client, event, merchant, reward, subject): 1 to 128 printable characters. */
export const identifier = (max = MAX_IDENTIFIER_LENGTH) =>
  withoutForbidden(
    z.string().min(1).max(max),
    NOT_IN_IDENTIFIERS,
    'control, format and unpaired surrogate characters',
  );

/** A line of text a person wrote or reads (a reason, an attribute value): printable, at most `max` long. */
export const plainText = (max: number) =>
  withoutForbidden(
    z.string().max(max),
    NOT_IN_TEXT,
    'control characters, line separators, bidi controls and unpaired surrogates',
  );

/** Decodes UTF-8 strictly: invalid bytes answer undefined instead of silently becoming U+FFFD. */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** `text` with every character an identifier may not hold shown as its `\uXXXX` escape, safe to store and log. */
export function printable(text: string): string {
  return text.replace(
    new RegExp(NOT_IN_IDENTIFIERS.source, 'gu'),
    (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
