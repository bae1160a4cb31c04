import { pino, type Logger } from 'pino';
import { config } from './config.js';

let root: Logger | undefined;

/** The structured JSON logger; `component` names the part of the engine writing the line. */
export function logger(component: string): Logger {
  root ??= pino({ level: config().LOG_LEVEL, base: { service: 'achievements-engine' } });
  return root.child({ component });
}
