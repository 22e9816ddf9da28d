import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Errors for which retrying cannot help; they are passed on at once. */
  readonly isFatal?: (error: unknown) => boolean;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  readonly scheduler?: SchedulerLike;
}

/** The delay before retry `attempt` (1-based): doubling from initialMs, capped at maxMs. */
export const backoffDelay = (attempt: number, initialMs: number, maxMs: number): number =>
  Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));

/**
 * Resubscribes after an infrastructure failure, waiting longer each time, for as long as it takes:
 * a database or broker outage pauses the work instead of losing it.
 */
export const retryWithBackoff = <T>(options: BackoffOptions): MonoTypeOperatorFunction<T> =>
  retry({
    delay: (error: unknown, attempt: number) => {
      if (options.isFatal?.(error)) return throwError(() => error);
      const delayMs = backoffDelay(attempt, options.initialMs, options.maxMs);
      options.onRetry?.(error, attempt, delayMs);
      return timer(delayMs, options.scheduler ?? asyncScheduler);
    },
    resetOnSuccess: true,
  });
