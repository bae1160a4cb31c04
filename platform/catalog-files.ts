import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalog, parseRuleFiles, type Catalog, type RuleDocument } from '../rules/catalog.js';

/** The default catalog of CONTRACT §3, one rule file per achievement family. */
export const DEFAULT_CATALOG_DIR = fileURLToPath(new URL('../catalog', import.meta.url));

/** Rules the README's examples describe (campaigns, exclusions, schedules …): shipped, never active by default. */
export const EXAMPLE_RULES_DIR = fileURLToPath(new URL('../catalog/examples', import.meta.url));

/** The documents of every `*.yaml` rule file of `dir` (sorted by name), not yet validated. */
export function readRuleFiles(dir = DEFAULT_CATALOG_DIR): RuleDocument[] {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort();
  return parseRuleFiles(files.map((file) => ({ source: file, text: readFileSync(join(dir, file), 'utf8') })));
}

/** Reads every `*.yaml` rule file of `dir` (sorted by name) and builds the catalog from them. */
export const loadCatalog = (dir = DEFAULT_CATALOG_DIR): Catalog => buildCatalog(readRuleFiles(dir));
