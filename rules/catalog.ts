import { parse } from 'yaml';
import { ruleSchema, type Rule, type RuleLevel } from './rule-schema.js';

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

/** A rule file's name and its YAML text, as the edge read them. */
export interface RuleFile {
  source: string;
  text: string;
}

/** Parses and validates rule files (YAML), in the order given; reading them is the caller's job. */
export function parseCatalog(files: RuleFile[]): Catalog {
  return buildCatalog(
    files.map(({ source, text }) => {
      try {
        return { source, document: parse(text) as unknown };
      } catch (error) {
        throw new CatalogError(source, `not valid YAML: ${(error as Error).message}`);
      }
    }),
  );
}
