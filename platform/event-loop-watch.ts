import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * How long the event loop was held up lately: the longest delay of this window and the last one (each
 * `windowMs`), so a stall is still seen for a while after it ended. A liveness probe that must be answered by
 * the loop fails while it is blocked (its request times out); this tells of stalls between probes too.
 */
export interface EventLoopWatch {
  longestDelayMs(): number;
  stop(): void;
}

export function watchEventLoop(windowMs = 30_000): EventLoopWatch {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  let previousMaxMs = 0;
  const turn = setInterval(() => {
    previousMaxMs = histogram.max / 1e6;
    histogram.reset();
  }, windowMs).unref();
  return {
    longestDelayMs: () => Math.max(previousMaxMs, histogram.max / 1e6),
    stop: () => {
      clearInterval(turn);
      histogram.disable();
    },
  };
}
