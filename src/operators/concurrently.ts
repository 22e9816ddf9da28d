import { isObservable, type Observable, type Observer, type Subscription } from 'rxjs';
import { Pending, runWork, type Step } from './steps.js';

type Failure = { readonly error: unknown } | undefined;

/** Where a waiting step reports its end. */
interface Ends {
  ended(step: number, failure: Failure): void;
}

/**
 * Runs independent steps of one item's work at the same time, as one step that answers the item
 * once they are all done: the item waits for the slowest step instead of for the sum of them all.
 * Every step runs to its own end before a failure is passed on (the first failing step's error, in
 * step order), so a failure never leaves a sibling cancelled halfway; the caller's retry redoes
 * them all. What the steps answer is ignored. When every step answers at once, so does this one.
 *
 * @example
 * inOrder(appendEvents(store), concurrently(projectReadModels(readModels), recordRawEvent(rawEvents)))
 */
export const concurrently = <T>(first: Step<T, unknown>, ...rest: Step<T, unknown>[]): Step<T> => {
  const steps = [first, ...rest];
  return (item) => {
    let joining: Joining<T> | undefined;
    for (let i = 0; i < steps.length; i++) {
      try {
        const result = steps[i]!(item);
        if (result instanceof Pending || isObservable(result)) (joining ??= new Joining(item, steps.length)).wait(i, result);
      } catch (error) {
        (joining ??= new Joining(item, steps.length)).failed(i, error);
      }
    }
    return joining === undefined ? item : joining.settled();
  };
};

/** The steps of one item that did not answer at once, and the failures of those that threw. */
class Joining<T> extends Pending<T> {
  private readonly waiting: (Observable<unknown> | Pending<unknown> | undefined)[];
  private readonly failures: Failure[];
  private running = 0;

  constructor(
    private readonly item: T,
    steps: number,
  ) {
    super();
    this.waiting = new Array<undefined>(steps);
    this.failures = new Array<Failure>(steps);
  }

  wait(step: number, answer: Observable<unknown> | Pending<unknown>): void {
    this.waiting[step] = answer;
    this.running += 1;
  }

  failed(step: number, error: unknown): void {
    this.failures[step] = { error };
  }

  /** This, or when no step waits, the item (or the first failure, thrown). */
  settled(): T | Pending<T> {
    if (this.running > 0) return this;
    const failure = this.failures.find((f) => f !== undefined);
    if (failure !== undefined) throw failure.error;
    return this.item;
  }

  run(observer: Observer<T>, teardown: Subscription): void {
    const join = new Join(this.item, this.running, [...this.failures], observer);
    this.waiting.forEach((answer, step) => {
      if (answer !== undefined) runWork(answer, new JoinPart(join, step), teardown);
    });
  }
}

/** Counts the waiting steps down, then answers the item or the first failure. */
class Join<T> implements Ends {
  constructor(
    private readonly item: T,
    private running: number,
    private readonly failures: Failure[],
    private readonly observer: Observer<T>,
  ) {}

  ended(step: number, failure: Failure): void {
    if (failure !== undefined) this.failures[step] = failure;
    this.running -= 1;
    if (this.running > 0) return;
    const failed = this.failures.find((f) => f !== undefined);
    if (failed !== undefined) return this.observer.error(failed.error);
    this.observer.next(this.item);
    this.observer.complete();
  }
}

class JoinPart implements Observer<unknown> {
  constructor(
    private readonly join: Ends,
    private readonly step: number,
  ) {}

  next(): void {}

  error(error: unknown): void {
    this.join.ended(this.step, { error });
  }

  complete(): void {
    this.join.ended(this.step, undefined);
  }
}
