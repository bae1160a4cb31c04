import { parse } from 'yaml';
import { clientTextProblem } from './client-text.js';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_TITLE_LENGTH,
  ruleSchema,
  storedRuleSchema,
  type Rule,
  type RuleLevel,
} from './rule-schema.js';

/**
 * A rule as the engine runs it. `progressKey` names the progress it counts into: versions whose edits left
 * what is measured as it was share it, and a version that measures differently starts its own.
 */
export type CatalogRule = Rule & { readonly progressKey: string };

/** The progress key of a rule whose current measurement began with version `measuredSince`. */
export const progressKeyOf = (ruleId: string, measuredSince: number) =>
  measuredSince <= 1 ? ruleId : `${ruleId}@v${measuredSince}`;

export interface Achievement {
  readonly rule: CatalogRule;
  readonly level: RuleLevel;
}

export interface Catalog {
  readonly rules: readonly CatalogRule[];
  /** Every achievement (a level of a rule) by its id. */
  readonly achievements: ReadonlyMap<string, Achievement>;
}

/** The partners the catalog's levels name, each once. */
export const partnersOf = (catalog: Catalog): string[] => [
  ...new Set(
    [...catalog.achievements.values()].flatMap(({ level }) => (level.partner ? [level.partner] : [])),
  ),
];

export class CatalogError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'CatalogError';
  }
}

/** A rule document as the edge found it; `source` names it in errors, `measuredSince` as in `progressKeyOf`. */
export interface RuleDocument {
  source: string;
  document: unknown;
  measuredSince?: number;
}

/** A catalog of one validated rule, as rule tests and simulations run it. */
export const catalogOfRule = (rule: Rule): Catalog => {
  const catalogRule = { ...rule, progressKey: rule.id };
  return {
    rules: [catalogRule],
    achievements: new Map(rule.levels.map((level) => [level.achievementId, { rule: catalogRule, level }])),
  };
};

/**
 * The catalog, knowing also the achievements of `others` it lacks (their rules not run): a replay of one
 * rule runs it alone, yet a follow-up keeps its waiting events by the input topics its prerequisite's rule
 * reads (see follow-ups.ts), as live processing, which runs that rule, does.
 */
export function knowingAchievementsOf(catalog: Catalog, others: Catalog): Catalog {
  const achievements = new Map(others.achievements);
  for (const [id, achievement] of catalog.achievements) achievements.set(id, achievement);
  return { rules: catalog.rules, achievements };
}

/**
 * A stored level as a client may see it: a text an earlier build accepted but a client may not read (too long,
 * or holding what client-text.ts refuses) is shown as the achievement's id.
 */
function shownSafely(level: RuleLevel): RuleLevel {
  const safe = (texts: Record<string, string>, max: number) =>
    Object.fromEntries(
      Object.entries(texts).map(([locale, text]) => [
        locale,
        text.length <= max && clientTextProblem(text) === undefined ? text : level.achievementId,
      ]),
    );
  return {
    ...level,
    title: safe(level.title, MAX_TITLE_LENGTH),
    description: safe(level.description, MAX_DESCRIPTION_LENGTH),
  };
}

function parsedRule(source: string, document: unknown, from: 'new' | 'stored'): Rule {
  const parsed = (from === 'new' ? ruleSchema : storedRuleSchema).safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CatalogError(source, `${issue.path.join('.') || '(rule)'}: ${issue.message}`);
  }
  return from === 'new' ? parsed.data : { ...parsed.data, levels: parsed.data.levels.map(shownSafely) };
}

/**
 * Builds a catalog from already-parsed rule documents: new ones (rule files) checked as a new version is,
 * `stored` ones (versions in PostgreSQL) as they were accepted, their texts shown safely.
 */
export function buildCatalog(documents: RuleDocument[], from: 'new' | 'stored' = 'new'): Catalog {
  const rules: CatalogRule[] = [];
  const achievements = new Map<string, Achievement>();
  for (const { source, document, measuredSince } of documents) {
    const parsed = parsedRule(source, document, from);
    const rule = { ...parsed, progressKey: progressKeyOf(parsed.id, measuredSince ?? 1) };
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

/** The documents of rule files (YAML), in the order given, not yet validated. */
export function parseRuleFiles(files: RuleFile[]): RuleDocument[] {
  return files.map(({ source, text }) => {
    try {
      return { source, document: parse(text) as unknown };
    } catch (error) {
      throw new CatalogError(source, `not valid YAML: ${(error as Error).message}`);
    }
  });
}

/** Parses and validates rule files (YAML), in the order given; reading them is the caller's job. */
export const parseCatalog = (files: RuleFile[]): Catalog => buildCatalog(parseRuleFiles(files));
