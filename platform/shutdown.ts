import { logger } from './logger.js';

type Stop = () => Promise<void>;
const stops: { name: string; stop: Stop }[] = [];
let stopping: Promise<void> | undefined;

/** Registers a part to stop on SIGINT/SIGTERM; parts stop in reverse order of registration. */
export function onShutdown(name: string, stop: Stop) {
  stops.push({ name, stop });
}

/** Stops every registered part, each bounded by `graceMs`, once however often it is called. */
export function shutdown(graceMs = 30_000): Promise<void> {
  stopping ??= (async () => {
    const log = logger('shutdown');
    for (const { name, stop } of stops.toReversed()) {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`did not stop within ${graceMs} ms`)), graceMs).unref(),
      );
      try {
        await Promise.race([stop(), timeout]);
        log.info({ part: name }, 'stopped');
      } catch (error) {
        log.error({ part: name, err: error }, 'failed to stop cleanly');
      }
    }
  })();
  return stopping;
}

/**
 * Exits the process after a clean shutdown when it receives SIGINT or SIGTERM. Repeated signals are absorbed:
 * a terminal's Ctrl-C reaches npm, tsx and this process at once and tsx relays its own copy, so a second
 * signal must not cut the shutdown short; each part's grace period bounds it instead.
 */
export function exitOnSignals() {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      logger('shutdown').info({ signal }, 'shutting down');
      void shutdown().then(() => process.exit(0));
    });
  }
}

/**
 * Ends the process non-zero after an orderly shutdown (what is committed stays committed, the consumer leaves
 * its group): a part failed for good (a consumer kafkajs will not restart, a Temporal worker stopped, a
 * dependency lost past its retry budget), and the orchestrator restarts the process clean.
 */
export function failFast(part: string, error: Error) {
  logger('shutdown').fatal({ part, err: error }, 'failed for good; stopping, to be restarted');
  void shutdown().then(() => process.exit(1));
}
