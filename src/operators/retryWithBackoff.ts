import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Errors for which retrying cannot help; they are passed on at once. */
  readonly isFatal?: (error: unknown) => boolean;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  readonly scheduler?: SchedulerLike;
  /**
   * A random number in [0, 1) for the jitter (default Math.random); tests pass a fixed one to keep
   * the delays deterministic.
   */
  readonly random?: () => number;
}

/** The delay before retry `attempt` (1-based): doubling from initialMs, capped at maxMs. */
export const backoffDelay = (attempt: number, initialMs: number, maxMs: number): number =>
  Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));

/**
 * "Equal jitter": half the capped exponential delay plus a random part of the other half. Callers
 * that failed together (one outage, one batch) then retry spread out instead of all at once, and
 * still wait at least half the delay.
 */
export const jitteredDelay = (attempt: number, initialMs: number, maxMs: number, random: () => number): number => {
  const delay = backoffDelay(attempt, initialMs, maxMs);
  return Math.round(delay / 2 + random() * (delay / 2));
};

/**
 * Resubscribes after an infrastructure failure, waiting longer each time, for as long as it takes:
 * a database or broker outage pauses the work instead of losing it.
 */
export const retryWithBackoff = <T>(options: BackoffOptions): MonoTypeOperatorFunction<T> =>
  retry({
    delay: (error: unknown, attempt: number) => {
      if (options.isFatal?.(error)) return throwError(() => error);
      const delayMs = jitteredDelay(attempt, options.initialMs, options.maxMs, options.random ?? Math.random);
      options.onRetry?.(error, attempt, delayMs);
      return timer(delayMs, options.scheduler ?? asyncScheduler);
    },
    resetOnSuccess: true,
  });
