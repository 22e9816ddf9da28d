/**
 * A small consecutive-failure circuit breaker.
 *
 * - closed: every call may go through; `failureThreshold` failures in a row open the circuit.
 * - open: no call goes through for `openMs`.
 * - half-open (after `openMs`): exactly one trial call goes through; its success closes the circuit,
 *   its failure opens it again for another `openMs`. Other calls are refused while the trial runs.
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  readonly failureThreshold?: number;
  /** How long the circuit stays open, in seconds (default 30). */
  readonly openSeconds?: number;
  /** Clock in epoch milliseconds (tests pass a fake). */
  readonly now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export const DEFAULT_BREAKER_FAILURE_THRESHOLD = 5;
export const DEFAULT_BREAKER_OPEN_SECONDS = 30;

export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private consecutiveFailures = 0;
  private openUntil = 0;
  private state: CircuitState = 'closed';
  private trialInFlight = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? DEFAULT_BREAKER_FAILURE_THRESHOLD;
    this.openMs = (options.openSeconds ?? DEFAULT_BREAKER_OPEN_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be a positive integer, got ${this.failureThreshold}`);
    }
    if (!(this.openMs >= 0)) throw new RangeError(`openSeconds must be >= 0, got ${options.openSeconds}`);
  }

  /** The state as of now (an open circuit whose time is up reads as half-open). */
  current(): CircuitState {
    if (this.state === 'open' && this.now() >= this.openUntil) return 'half-open';
    return this.state;
  }

  /** Whether a call may go through now; when it may, report its outcome with `success()` or `failure()`. */
  tryAcquire(): boolean {
    switch (this.current()) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half-open':
        if (this.trialInFlight) return false;
        this.state = 'half-open';
        this.trialInFlight = true;
        return true;
    }
  }

  success(): void {
    this.consecutiveFailures = 0;
    this.trialInFlight = false;
    this.state = 'closed';
  }

  /** Returns true when this failure opened (or re-opened) the circuit. */
  failure(): boolean {
    this.consecutiveFailures += 1;
    const wasTrial = this.trialInFlight;
    this.trialInFlight = false;
    if (wasTrial || (this.state === 'closed' && this.consecutiveFailures >= this.failureThreshold)) {
      this.state = 'open';
      this.openUntil = this.now() + this.openMs;
      return true;
    }
    return false;
  }
}
