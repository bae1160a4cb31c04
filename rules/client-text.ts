/**
 * What a client may read of a rule. Titles and descriptions reach the app and the bank's push service as they
 * were written, so they may not carry what CONTRACT §2 keeps out of a push (a web address, card or account
 * data), nor what makes a phone show something other than what was reviewed: markup, invisible characters,
 * controls and bidi overrides. Checked when a rule is written and again where a push is built.
 */

/**
 * Controls (C0, C1), line separators, bidi embeddings, overrides and isolates, zero-width characters that can
 * hide a word's joins (a zero-width space, a word joiner, the BOM) and unpaired surrogates (with the `u` flag a
 * pair is one code point above U+FFFF, so only a lone half matches). Joiners that emoji and some scripts need
 * (U+200C, U+200D) and the left-to-right and right-to-left marks stay allowed.
 */
const INVISIBLE_OR_CONTROL =
  // eslint-disable-next-line no-control-regex -- finding control characters is what it is for
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u200B\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uD800-\uDFFF]/u;

const MARKUP = /<\s*[\p{L}/!?]|&(?:#\d+|#x[\da-f]+|[a-z]+);/iu;

/**
 * A web address in any of its usual shapes: a scheme (`https://`, `javascript:`, `mailto:` …), `www.`, or a
 * host name (`evil.example`, `банк.укр`): a dot between a letter or digit and two letters. Each pattern has
 * no nested repetition, so it runs in time linear in the text, however long.
 */
const WEB_ADDRESS = [
  /:\/\//,
  /\b(?:javascript|vbscript|data|mailto|tel|sms|intent|file):/i,
  /\bwww\./i,
  /[\p{L}\p{N}-]\.\p{L}{2}/u,
];

/** The whitespace-delimited word around `index`, to show the writer what was found. */
function wordAround(text: string, index: number): string {
  const start = text.lastIndexOf(' ', index) + 1;
  const end = text.indexOf(' ', index);
  return text.slice(start, end === -1 ? undefined : end);
}

/** Digits with at most one space or dash between them, as card numbers are written. */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;

/** An IBAN: a country, two check digits and 11 to 30 letters or digits, written grouped or not. */
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z\d]){11,30}\b/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Whether any 13 to 19 consecutive digits of the run pass the Luhn check, as every card number does. */
function holdsCardNumber(digits: string): boolean {
  for (let length = 13; length <= Math.min(19, digits.length); length++) {
    for (let start = 0; start + length <= digits.length; start++) {
      if (luhnValid(digits.slice(start, start + length))) return true;
    }
  }
  return false;
}

/** ISO 13616's check: the IBAN with its first four characters moved to the end, read as a number, mod 97 is 1. */
function ibanValid(iban: string): boolean {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of moved) {
    const value = char >= 'A' ? char.charCodeAt(0) - 55 : Number(char);
    remainder = (remainder * (value > 9 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why a text may not be shown to a client, or undefined when it may. The reason says what was found and where,
 * so the person who wrote it can fix it.
 */
export function clientTextProblem(text: string): string | undefined {
  const hidden = INVISIBLE_OR_CONTROL.exec(text);
  if (hidden)
    return `holds ${codePoint(hidden[0])} at position ${hidden.index}: control, invisible and bidi override characters are not allowed`;
  const markup = MARKUP.exec(text);
  if (markup) return `holds markup ("${markup[0]}" at position ${markup.index}); write plain text`;
  for (const pattern of WEB_ADDRESS) {
    const address = pattern.exec(text);
    if (address)
      return `holds what looks like a web address ("${wordAround(text, address.index)}"); a client's texts never link anywhere (the app links to the achievement itself)`;
  }
  for (const [found] of text.matchAll(IBAN)) {
    if (ibanValid(found.replaceAll(' ', '')))
      return `holds an account number (IBAN "${found}"); a client's texts never carry account data`;
  }
  for (const [run] of text.matchAll(DIGIT_RUN)) {
    const digits = run.replace(/[ -]/g, '');
    if (digits.length >= 13 && holdsCardNumber(digits))
      return `holds a number shaped like a card number ("${run}"); a client's texts never carry card data`;
  }
  return undefined;
}
