import { asyncScheduler, type MonoTypeOperatorFunction, type Observer, type SchedulerLike, type Subscription } from 'rxjs';
import { Pending, runStep, runWork, type StepResult } from './steps.js';

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
 * The waits between the attempts of one piece of work: the delay grows with the failures in a row
 * (jittered, see jitteredDelay) and starts again from `initialMs` after an attempt that delivered
 * a value.
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  /**
   * After a failed attempt (`delivered`: it delivered a value first): false when the error is
   * fatal, else true, and `again` runs after the delay (told to onRetry), unless `teardown` ends first.
   */
  retry(error: unknown, delivered: boolean, teardown: Subscription, again: () => void): boolean {
    const o = this.options;
    if (o.isFatal?.(error)) return false;
    this.failures = delivered ? 1 : this.failures + 1;
    const delayMs = jitteredDelay(this.failures, o.initialMs, o.maxMs, o.random ?? Math.random);
    o.onRetry?.(error, this.failures, delayMs);
    const wait = (o.scheduler ?? asyncScheduler).schedule(() => {
      teardown.remove(wait);
      again();
    }, delayMs);
    teardown.add(wait);
    return true;
  }
}

/**
 * Runs the work again after an infrastructure failure, waiting longer each time (see Backoff), for
 * as long as it takes: a database or broker outage pauses the work instead of losing it. `run`
 * makes each attempt; a fatal error is passed on at once.
 */
export const retriedWithBackoff = <T>(run: () => StepResult<T>, options: BackoffOptions): Pending<T> => new Retried(run, options);

/** retriedWithBackoff as an operator: resubscribes to the source after each failure. */
export const retryWithBackoff =
  <T>(options: BackoffOptions): MonoTypeOperatorFunction<T> =>
  (source) =>
    runStep(() => retriedWithBackoff(() => source, options));

class Retried<T> extends Pending<T> {
  constructor(
    private readonly attempt: () => StepResult<T>,
    private readonly options: BackoffOptions,
  ) {
    super();
  }

  run(observer: Observer<T>, teardown: Subscription): void {
    new Attempts(this.attempt, new Backoff(this.options), observer, teardown).start();
  }
}

/** One run's attempts: what each delivers goes on, a failure waits and starts the next. */
class Attempts<T> implements Observer<T> {
  private delivered = false;

  constructor(
    private readonly attempt: () => StepResult<T>,
    private readonly backoff: Backoff,
    private readonly observer: Observer<T>,
    private readonly teardown: Subscription,
  ) {}

  start(): void {
    this.delivered = false;
    let work: StepResult<T>;
    try {
      work = this.attempt();
    } catch (error) {
      return this.error(error);
    }
    runWork(work, this, this.teardown);
  }

  next(value: T): void {
    this.delivered = true;
    this.observer.next(value);
  }

  error(error: unknown): void {
    if (!this.backoff.retry(error, this.delivered, this.teardown, () => this.start())) this.observer.error(error);
  }

  complete(): void {
    this.observer.complete();
  }
}
