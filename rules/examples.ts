import type { Rule } from './rule-schema.js';
import { simulate, type SimulatedEvent } from './simulate.js';

/** How one example of a rule fared: what was wrong (nothing when it passed) and the trace to read why. */
export interface ExampleResult {
  name: string;
  /** Each as a JSON pointer into the rule document and what differed there. */
  failures: { pointer: string; detail: string }[];
  trace: SimulatedEvent[];
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * Runs every example of a rule (given these events, then these unlocks, measures and nudges) through
 * `simulate`.
 */
export function runExamples(rule: Rule, zone: string): ExampleResult[] {
  return rule.examples.map((example, i) => {
    const trace = simulate(rule, example.given, zone, example);
    const failures: ExampleResult['failures'] = [];
    const unlocked = trace.flatMap((event) => event.unlocked);
    if (!sameSet(unlocked, example.then.unlocked)) {
      failures.push({
        pointer: `/examples/${i}/then/unlocked`,
        detail: `expected [${example.then.unlocked.join(', ')}] to unlock, got [${unlocked.join(', ')}]`,
      });
    }
    example.then.measures?.forEach((expected, j) => {
      if (trace[j]!.measure !== expected)
        failures.push({
          pointer: `/examples/${i}/then/measures/${j}`,
          detail: `after event ${j + 1} (${trace[j]!.eventId}) the measure is ${trace[j]!.measure}, not ${expected}`,
        });
    });
    const nudged = trace.flatMap((event) => event.nudged);
    if (example.then.nudged && nudged.join() !== example.then.nudged.join())
      failures.push({
        pointer: `/examples/${i}/then/nudged`,
        detail: `expected nudges at [${example.then.nudged.join(', ')}], got [${nudged.join(', ')}]`,
      });
    return { name: example.name, failures, trace };
  });
}

/** A trace as a person reads it: one line per event, with the measure and what it unlocked or nudged. */
export function formatTrace(trace: SimulatedEvent[]): string {
  return trace
    .map((event, i) => {
      const unlocked = event.unlocked.length > 0 ? `  → unlocked ${event.unlocked.join(', ')}` : '';
      const nudged = event.nudged.length > 0 ? `  → nudged at ${event.nudged.join(', ')}` : '';
      const mark = event.counted ? '✓' : '·';
      return `  ${String(i + 1).padStart(3)} ${mark} ${event.eventId} at ${event.time}: ${event.why}; measure ${event.measure}${unlocked}${nudged}`;
    })
    .join('\n');
}
