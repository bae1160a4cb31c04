/**
 * `npm run rules:test [files…]`: runs the examples of every rule file (the repository's catalog and its example
 * rules when none is named; YAML or JSON) through the engine's own `decide`, and prints a trace for each
 * example that fails.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EXAMPLE_RULES_DIR, readRuleFiles } from '../platform/catalog-files.js';
import { config } from '../platform/config.js';
import { parseRuleFiles, type RuleDocument } from '../rules/catalog.js';
import { formatTrace, runExamples } from '../rules/examples.js';
import { ruleSchema } from '../rules/rule-schema.js';
import { problemsOf } from '../rules/rule-validation.js';

const named = process.argv.slice(2);
const documents: RuleDocument[] =
  named.length > 0
    ? parseRuleFiles(named.map((file) => ({ source: basename(file), text: readFileSync(file, 'utf8') })))
    : [...readRuleFiles(), ...readRuleFiles(EXAMPLE_RULES_DIR)];
const zone = config().BANK_TIME_ZONE;
let failed = 0;
let passed = 0;
for (const { source, document } of documents) {
  // A draft has no version yet: the engine numbers it when it is created.
  const parsed = ruleSchema.safeParse({ version: 1, ...(document as object) });
  if (!parsed.success) {
    failed++;
    console.log(`✗ ${source}: not a valid rule`);
    for (const { pointer, detail } of problemsOf(parsed.error))
      console.log(`    ${pointer || '/'}: ${detail}`);
    continue;
  }
  if (parsed.data.examples.length === 0) console.log(`! ${source}: no examples`);
  const started = performance.now();
  const results = runExamples(parsed.data, zone);
  const ms = (performance.now() - started).toFixed(1);
  console.log(`${parsed.data.id} (${source}): ${results.length} examples in ${ms} ms`);
  for (const result of results) {
    if (result.failures.length === 0) {
      passed++;
      console.log(`  ✓ ${result.name}`);
      continue;
    }
    failed++;
    console.log(`  ✗ ${result.name}`);
    for (const failure of result.failures) console.log(`      ${failure.pointer}: ${failure.detail}`);
    console.log(formatTrace(result.trace));
  }
}
console.log(`\n${passed} examples passed, ${failed} failed (time zone ${zone})`);
process.exit(failed > 0 ? 1 : 0);
