import { attributeValues } from './attributes.js';
import type { ClientProgress } from './progress.js';
import type { Rule } from './rule-schema.js';

/**
 * What decides what counts for a client besides its progress: the segments it belongs to (a rule's audience),
 * and when the client was erased (CONTRACT §7): no event dated before that counts again.
 */
export interface ClientContext {
  readonly segments: readonly string[];
  readonly erasedAtMs?: number;
}

/** Shared by every client of no segment, never erased, so they hold no object of their own. */
export const NO_CONTEXT: ClientContext = { segments: Object.freeze([]) };

/**
 * Whether a client is in the rule's audience: every attribute condition holds and, when the rule names
 * segments, the client belongs to one of them. A rule without an audience is for everyone.
 */
export function inAudience(rule: Rule, progress: ClientProgress, client: ClientContext): boolean {
  const audience = rule.audience;
  if (!audience) return true;
  if (audience.segments && !audience.segments.some((segment) => client.segments.includes(segment)))
    return false;
  const values = attributeValues(progress);
  return Object.entries(audience.attributes ?? {}).every(([name, condition]) => {
    const value = values[name];
    if ('exists' in condition) return (value !== undefined) === condition.exists;
    if ('equals' in condition) return value === condition.equals;
    return value !== undefined && condition.in.includes(value);
  });
}
