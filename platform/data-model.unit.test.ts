import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_MODEL_PAGE, dataModelPage, erDiagram, migrationTexts, tablesOf } from './data-model.js';

describe('docs/data-model.md', () => {
  it('is what the migrations say now (run npm run docs:data-model after changing one)', () => {
    expect(readFileSync(DATA_MODEL_PAGE, 'utf8')).toBe(dataModelPage(migrationTexts()));
  });

  it('reads tables, later columns, keys, foreign keys and dropped tables from migration SQL', () => {
    const tables = tablesOf([
      `-- a comment, (with, commas)
       CREATE TABLE runs (id uuid PRIMARY KEY, name text NOT NULL CHECK (length(name) > 0), UNIQUE (name));
       CREATE TABLE steps (run_id uuid NOT NULL REFERENCES runs ON DELETE CASCADE, n integer,
                           tags text[], PRIMARY KEY (run_id, n));`,
      'ALTER TABLE runs ADD COLUMN started_at timestamptz NOT NULL DEFAULT now();',
      'CREATE TABLE scratch (id uuid PRIMARY KEY); DROP TABLE scratch;',
    ]);
    expect(erDiagram(tables)).toBe(
      [
        'erDiagram',
        '  runs ||--o{ steps : "run_id"',
        '  runs {',
        '    uuid id PK',
        '    text name UK',
        '    timestamptz started_at',
        '  }',
        '  steps {',
        '    uuid run_id FK, PK',
        '    integer n PK',
        '    text_array tags',
        '  }',
      ].join('\n'),
    );
  });
});
