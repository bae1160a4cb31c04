import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCatalog, type Catalog } from '../rules/catalog.js';

/** The default catalog of CONTRACT §3, one rule file per achievement family. */
export const DEFAULT_CATALOG_DIR = fileURLToPath(new URL('../catalog', import.meta.url));

/** Reads every `*.yaml` rule file of `dir` (sorted by name) and builds the catalog from them. */
export function loadCatalog(dir = DEFAULT_CATALOG_DIR): Catalog {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort();
  return parseCatalog(files.map((file) => ({ source: file, text: readFileSync(join(dir, file), 'utf8') })));
}
