import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { config } from './config.js';

let root: Logger | undefined;

/** Fields that hold a secret are never written, however deep a logged object carries them. */
const SECRETS = ['secret', 'previousSecret', 'password', 'key', 'apiKey', 'token'];
const REDACTED = SECRETS.flatMap((field) => [
  field,
  `*.${field}`,
  `*[*].${field}`,
  `*.*.${field}`,
  `*.*.*.${field}`,
]);

const createRoot = (level: Level | 'silent', destination?: DestinationStream) => {
  const options = { level, base: { service: 'achievements-engine' }, redact: REDACTED };
  return destination ? pino(options, destination) : pino(options);
};

/**
 * The structured JSON logger; `component` names the part of the engine writing the line. Lines about one
 * unlock carry its `correlationId` (the unlock id, which is also its reward's id); lines about an HTTP request
 * carry its `requestId` (the `X-Request-Id` header).
 */
export function logger(component: string): Logger {
  root ??= createRoot(config().LOG_LEVEL);
  return root.child({ component });
}

/**
 * Sends the lines of every logger obtained from now on to `destination` at `level`, in place of standard
 * output: how a test reads back what the engine logged. Loggers obtained before keep writing where they did.
 */
export function logTo(destination: DestinationStream, level: Level) {
  root = createRoot(level, destination);
}
