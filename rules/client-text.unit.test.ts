import { describe, expect, it } from 'vitest';
import { EXAMPLE_RULES_DIR, readRuleFiles } from '../platform/catalog-files.js';
import { clientTextProblem } from './client-text.js';

describe('what a client may read of a rule', () => {
  it.each([
    ['a web address', 'Win at https://evil.example/login?pan=4111111111111111', 'web address'],
    ['a host name alone', 'Claim it at evil.example/login', 'web address'],
    ['an e-mail address', 'Write to prizes@evil.example', 'web address'],
    ['a Cyrillic host name', 'Бонус на банк.укр', 'web address'],
    ['www without a scheme', 'see www.evil for details', 'web address'],
    ['a script scheme', 'javascript:alert(1)', 'web address'],
    ['a card number', 'Your card 4111 1111 1111 1111 won', 'card number'],
    ['a card number with dashes', 'card 5500-0000-0000-0004', 'card number'],
    ['a card number inside a longer run', 'ref 004111111111111111', 'card number'],
    ['an IBAN', 'Paid to UA21 3223 1300 0002 6007 2335 6600 1', 'account number'],
    ['markup', 'Prize <img src=x onerror=alert(1)>', 'markup'],
    ['a closing tag', 'bold</b>', 'markup'],
    ['an HTML entity', 'Fish &amp; chips', 'markup'],
    ['a right-to-left override', 'Coffee \u202Erevo\u202C lover', 'U+202E'],
    ['a zero-width space', 'evil\u200B.example', 'U+200B'],
    ['a NUL', 'Coffee\u0000lover', 'U+0000'],
    ['a new line', 'Coffee\nlover', 'U+000A'],
    ['an unpaired surrogate', 'Coffee \uD83D lover', 'U+D83D'],
  ])('refuses %s', (_what, text, said) => {
    expect(clientTextProblem(text)).toContain(said);
  });

  it.each([
    ['plain words', 'Coffee lover'],
    ['sentences with full stops and numbers', 'Spend 5 000.00 UAH in one month. Then 20 000.00.'],
    ['abbreviations', 'Coffee, tea etc. e.g. at breakfast'],
    ['a time of day and a share', 'Between 07:00 and 10:00, 80% done'],
    ['emoji joined by U+200D', 'Family trip 👨‍👩‍👧'],
    ['Ukrainian', 'Купіть каву 10 разів за один календарний місяць.'],
    ['Hebrew with a right-to-left mark', 'קנו קפה 10 פעמים\u200F בחודש'],
    ['a long number that is no card number', 'Top 1234567890123 clients'],
    ['a comparison', 'Spend > 500 or < 1000'],
  ])('lets %s through', (_what, text) => {
    expect(clientTextProblem(text)).toBeUndefined();
  });

  it('lets every text of the default catalog and the example rules through', () => {
    const texts = [...readRuleFiles(), ...readRuleFiles(EXAMPLE_RULES_DIR)].flatMap(({ document }) => {
      const rule = document as {
        levels: { title: Record<string, string>; description: Record<string, string> }[];
      };
      return rule.levels.flatMap((level) => [
        ...Object.values(level.title),
        ...Object.values(level.description),
      ]);
    });
    expect(texts.length).toBeGreaterThan(20);
    expect(texts.filter((text) => clientTextProblem(text) !== undefined)).toEqual([]);
  });
});
