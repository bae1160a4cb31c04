import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../stack/paths.js';

export interface Row {
  measure: string;
  value: string;
  target: string;
  verdict: 'met' | 'missed' | '—';
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

export function table(rows: Row[]): string {
  const lines = ['| measure | result | target | |', '|---|---|---|---|'];
  for (const row of rows) lines.push(`| ${row.measure} | ${row.value} | ${row.target} | ${row.verdict} |`);
  return lines.join('\n');
}

export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
}

const BENCHMARKS = join(REPO_ROOT, 'BENCHMARKS.md');

const sectionText = (section: Section) => [
  '',
  `## ${section.title}`,
  '',
  table(section.rows),
  '',
  ...section.notes.map((n) => `- ${n}`),
];

/** Replaces one section of BENCHMARKS.md with a run of that part alone (`npm run bench -- --only …`). */
export function updateSection(section: Section) {
  const text = readFileSync(BENCHMARKS, 'utf8');
  const found = text.indexOf(`\n## ${section.title}\n`);
  // A section not written yet goes before the one kept by hand (which stays last), or at the end.
  const kept = text.indexOf(KEPT_BY_HAND);
  const start = found !== -1 ? found : kept !== -1 ? kept : text.trimEnd().length;
  const next = found !== -1 ? text.indexOf('\n## ', start + 1) : kept;
  const dated = {
    ...section,
    notes: [`Measured alone on ${new Date().toISOString()} (${machine()}).`, ...section.notes],
  };
  const replaced = sectionText(dated).join('\n');
  writeFileSync(BENCHMARKS, `${text.slice(0, start)}${replaced}\n${next === -1 ? '' : text.slice(next)}`);
}

/**
 * The section people keep by hand, measured step by step with its own method: a run of the benchmark carries
 * it over as it stands, after the sections it writes.
 */
const KEPT_BY_HAND = '\n## Throughput, step by step';

function keptSection(): string {
  const text = readFileSync(BENCHMARKS, 'utf8');
  const found = text.indexOf(KEPT_BY_HAND);
  return found === -1 ? '' : text.slice(found).trimEnd();
}

/**
 * Writes BENCHMARKS.md from one run: the workload, the machine and a table per part of the system, then the
 * section kept by hand.
 */
export function writeBenchmarks(workload: string, sections: Section[]) {
  const kept = keptSection();
  const text = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (a benchmark, not a test) from one run on one machine; run it again to refresh.',
    '',
    `- When: ${new Date().toISOString()}`,
    `- Machine: ${machine()}`,
    `- Workload: ${workload}`,
    ...sections.flatMap(sectionText),
    ...(kept ? [kept] : []),
    '',
  ].join('\n');
  writeFileSync(BENCHMARKS, text);
}
