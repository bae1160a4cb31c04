import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ruleSchema, type Rule, type RuleLevel } from './rule-schema.js';

/** The default catalog of CONTRACT §3, one rule file per achievement family. */
export const DEFAULT_CATALOG_DIR = fileURLToPath(new URL('../../catalog', import.meta.url));

export interface Achievement {
  readonly rule: Rule;
  readonly level: RuleLevel;
}

export interface Catalog {
  readonly rules: readonly Rule[];
  /** Every achievement (a level of a rule) by its id. */
  readonly achievements: ReadonlyMap<string, Achievement>;
}

export class CatalogError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'CatalogError';
  }
}

/** Builds a catalog from already-parsed rule documents; `source` names each for error messages. */
export function buildCatalog(documents: { source: string; document: unknown }[]): Catalog {
  const rules: Rule[] = [];
  const achievements = new Map<string, Achievement>();
  for (const { source, document } of documents) {
    const parsed = ruleSchema.safeParse(document);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CatalogError(source, `${issue.path.join('.') || '(rule)'}: ${issue.message}`);
    }
    const rule = parsed.data;
    if (rules.some((other) => other.id === rule.id))
      throw new CatalogError(source, `rule id ${rule.id} is taken`);
    for (const level of rule.levels) {
      if (achievements.has(level.achievementId)) {
        throw new CatalogError(source, `achievement id ${level.achievementId} is defined twice`);
      }
      achievements.set(level.achievementId, { rule, level });
    }
    rules.push(rule);
  }
  return { rules, achievements };
}

/** Reads and validates every `*.yaml` rule file of `dir`. */
export function loadCatalog(dir = DEFAULT_CATALOG_DIR): Catalog {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort();
  return buildCatalog(
    files.map((file) => ({
      source: file,
      document: parse(readFileSync(join(dir, file), 'utf8')) as unknown,
    })),
  );
}
