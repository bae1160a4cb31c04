export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before letting one trial call through. */
  openMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, openMs: 30_000 };

/**
 * A circuit breaker for one partner: after `failureThreshold` failures in a row it stops calling the partner
 * for `openMs`, then lets a single trial call through; the trial's outcome closes or reopens it. While the
 * circuit is open, rewards wait out the time instead of piling requests on a partner that is down.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;

  constructor(
    private readonly options: BreakerOptions = DEFAULT_BREAKER,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Milliseconds until a call may go ahead, or undefined when it may go now (which it then must report). */
  blockedForMs(): number | undefined {
    if (this.failures < this.options.failureThreshold) return undefined;
    const now = this.nowMs();
    if (now < this.openUntil) return this.openUntil - now;
    if (this.trialInFlight) return this.options.openMs;
    this.trialInFlight = true;
    return undefined;
  }

  /** The partner answered (even a refusal is an answer): the circuit closes. */
  succeeded() {
    this.failures = 0;
    this.trialInFlight = false;
  }

  /** The partner did not answer, or answered 5xx. */
  failed() {
    this.failures++;
    this.trialInFlight = false;
    if (this.failures >= this.options.failureThreshold) this.openUntil = this.nowMs() + this.options.openMs;
  }
}
