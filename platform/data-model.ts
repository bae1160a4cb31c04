/**
 * The tables the migrations leave, read from their SQL, as a Mermaid entity-relationship diagram for
 * docs/data-model.md. A reader of our own forward-only migrations, not of SQL at large: CREATE TABLE, ALTER
 * TABLE … ADD COLUMN, DROP TABLE, primary keys, unique constraints and foreign keys.
 */
import { readdirSync, readFileSync } from 'node:fs';

const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** Where the generated page lives. */
export const DATA_MODEL_PAGE = new URL('../docs/data-model.md', import.meta.url);

/** The migrations' SQL, in the order they apply. */
export const migrationTexts = () =>
  readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'));

export interface Column {
  name: string;
  type: string;
  keys: ('PK' | 'FK' | 'UK')[];
}

export interface Table {
  name: string;
  columns: Column[];
  references: { table: string; columns: string[] }[];
}

const withoutComments = (sql: string) => sql.replace(/--[^\n]*/g, '');

/** Splits at commas outside parentheses. */
function topLevelParts(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** The body of the parenthesis opened just before `from`. */
function parenthesized(sql: string, from: number): string {
  let depth = 1;
  for (let i = from; i < sql.length; i++) {
    if (sql[i] === '(') depth++;
    if (sql[i] === ')' && --depth === 0) return sql.slice(from, i);
  }
  throw new Error('unbalanced parentheses in a migration');
}

const names = (list: string) => list.split(',').map((name) => name.trim());

function addKey(table: Table, columnNames: string[], key: Column['keys'][number]) {
  for (const column of table.columns) if (columnNames.includes(column.name)) column.keys.push(key);
}

function parseColumn(table: Table, definition: string) {
  const [name, type] = definition.split(/\s+/) as [string, string];
  const column: Column = { name, type: type.toLowerCase(), keys: [] };
  table.columns.push(column);
  if (/\bPRIMARY KEY\b/i.test(definition)) column.keys.push('PK');
  if (/\bUNIQUE\b/i.test(definition)) column.keys.push('UK');
  const reference = /\bREFERENCES\s+(\w+)/i.exec(definition);
  if (reference) {
    column.keys.push('FK');
    table.references.push({ table: reference[1]!, columns: [name] });
  }
}

function parseConstraint(table: Table, part: string): boolean {
  const primary = /^PRIMARY KEY\s*\(([^)]+)\)/i.exec(part);
  if (primary) addKey(table, names(primary[1]!), 'PK');
  const unique = /^UNIQUE\s*\(([^)]+)\)/i.exec(part);
  if (unique) addKey(table, names(unique[1]!), 'UK');
  const foreign = /^FOREIGN KEY\s*\(([^)]+)\)\s*REFERENCES\s+(\w+)/i.exec(part);
  if (foreign) {
    addKey(table, names(foreign[1]!), 'FK');
    table.references.push({ table: foreign[2]!, columns: names(foreign[1]!) });
  }
  return /^(PRIMARY KEY|UNIQUE|FOREIGN KEY|CHECK|CONSTRAINT|EXCLUDE)\b/i.test(part);
}

/** The tables the migrations (in order) leave. */
export function tablesOf(migrations: string[]): Table[] {
  const tables = new Map<string, Table>();
  for (const sql of migrations.map(withoutComments)) {
    for (const match of sql.matchAll(
      /CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(\w+)\s*\(|ALTER TABLE\s+(\w+)\s+ADD COLUMN\s+([^;]+);|DROP TABLE\s+(\w+)/gi,
    )) {
      if (match[4]) tables.delete(match[4]);
      else if (match[1]) {
        const table: Table = { name: match[1], columns: [], references: [] };
        tables.set(table.name, table);
        const parts = topLevelParts(parenthesized(sql, match.index + match[0].length));
        for (const part of parts) if (!parseConstraint(table, part)) parseColumn(table, part);
      } else {
        const table = tables.get(match[2]!);
        if (!table) throw new Error(`ALTER TABLE ${match[2]} before its CREATE TABLE`);
        parseColumn(table, match[3]!.trim());
      }
    }
  }
  return [...tables.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A Mermaid `erDiagram` of the tables: every column with its type and keys, every foreign key a relation. */
export function erDiagram(tables: Table[]): string {
  const lines = ['erDiagram'];
  for (const table of tables) {
    for (const reference of table.references)
      lines.push(`  ${reference.table} ||--o{ ${table.name} : "${reference.columns.join(', ')}"`);
  }
  for (const table of tables) {
    lines.push(`  ${table.name} {`);
    for (const column of table.columns) {
      const type = column.type.replace('[]', '_array').replace(/\W/g, '_');
      const keys = [...new Set(column.keys)].join(', ');
      lines.push(`    ${type} ${column.name}${keys ? ` ${keys}` : ''}`);
    }
    lines.push('  }');
  }
  return lines.join('\n');
}

/** docs/data-model.md as the generator writes it. */
export function dataModelPage(migrations: string[]): string {
  return `# Data model

The engine's PostgreSQL tables as the migrations in \`migrations/\` leave them. Generated by
\`npm run docs:data-model\`; a test fails when this page and the migrations disagree. Tables are keyed by client id
where they hold a client's data (no foreign key to a clients table: the bank owns its clients).

\`\`\`mermaid
${erDiagram(tablesOf(migrations))}
\`\`\`
`;
}
