import { describe, expect, it } from 'vitest';
import { locate } from './json-pointer.js';

const find = (text: string, pointer: string) => {
  const { start, end } = locate(text, pointer);
  return text.slice(start, end);
};

describe('where a problem’s pointer is in the rule document', () => {
  const document = JSON.stringify(
    {
      id: 'bakery-fan',
      'a/b': { 'c~d': 7 },
      levels: [{ target: 3, title: { en: 'Bakery "fan"' } }, { target: 5 }],
      examples: [{ given: [{ time: '2026-11-3', amount: -1.5e3 }], then: { unlocked: [] } }],
    },
    null,
    2,
  );

  it('finds a member, an element and a value nested in both, whatever the value is', () => {
    expect(find(document, '/id')).toBe('"bakery-fan"');
    expect(find(document, '/levels/1')).toBe('{\n      "target": 5\n    }');
    expect(find(document, '/levels/0/title/en')).toBe('"Bakery \\"fan\\""');
    expect(find(document, '/examples/0/given/0/time')).toBe('"2026-11-3"');
    expect(find(document, '/examples/0/given/0/amount')).toBe('-1500');
    expect(find(document, '/examples/0/then/unlocked')).toBe('[]');
  });

  it('reads ~1 as / and ~0 as ~ in a name', () => {
    expect(find(document, '/a~1b/c~0d')).toBe('7');
  });

  it('gives the whole document for the empty pointer, and the container of a member left out', () => {
    expect(find(document, '')).toBe(document);
    expect(find(document, '/levels/0/points')).toBe(find(document, '/levels/0'));
    expect(find(document, '/levels/7/target')).toBe(find(document, '/levels'));
  });

  it('takes the last of repeated names, as JSON.parse does', () => {
    expect(find('{"target": 1, "target": 2}', '/target')).toBe('2');
  });
});
