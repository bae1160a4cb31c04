import { z } from 'zod';
import { parseDuration } from './duration.js';

/** The kinds of value the engine's environment variables hold (platform/config.ts), each with its message. */

/** A duration such as 30s, 15m, 24h or 7d, in milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 15m, 24h or 7d, got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

export const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as Europe/Kyiv' },
);

/** A name of the engine's own in another system (a schema, a group, a queue): no spaces, no quotes. */
export const name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'expected a letter or "_", then letters, digits, "_" or "-"');

export const flag = z.enum(['true', 'false'], 'expected true or false').transform((text) => text === 'true');

/** A PEM certificate or key, usually handed over as a file: `NAME_FILE=/path/to/it.pem`. */
export const pem = z
  .string()
  .regex(
    /-----BEGIN [A-Z0-9 ]+-----/,
    'expected PEM text (or the path of a PEM file in the variable’s _FILE twin)',
  );
