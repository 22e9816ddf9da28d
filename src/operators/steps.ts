import { isObservable, Observable, type Observer, type Subscription } from 'rxjs';

/**
 * Work that waits for something (a port's call): what `andThen`, `firstOf`, `whenComplete`,
 * `recover` and `concurrently` answer when there is something to wait for. It is a plain object,
 * not an Observable: `runStep` turns work into one Observable, which runs it, subscribing only
 * the Observables the work waits for (one subscription each).
 */
export abstract class Pending<T> {
  /** Runs the work: what it answers goes to `observer`; its subscriptions join `teardown`. */
  abstract run(observer: Observer<T>, teardown: Subscription): void;
}

/**
 * What a step of an item's work answers: the value at once, or, when it has to wait, an Observable
 * (which answers with its last value when it completes; with none, the work ends there, with
 * nothing) or pending work.
 */
export type StepResult<T> = T | Observable<T> | Pending<T>;

/** One step of an item's work; T must be neither an Observable nor pending work. */
export type Step<T, R = T> = (value: T) => StepResult<R>;

/** Whether a step's result is something to wait for rather than its value. */
export const waits = <T>(result: StepResult<T>): result is Observable<T> | Pending<T> => result instanceof Pending || isObservable(result);

/**
 * `result`, then `step` on its value: at once when the value is there, else once it comes. Work
 * whose steps answer at once creates no object of its own; work that waits costs one small object
 * per wait and one subscription per Observable it waits for, where an operator chain (`concatMap`
 * per step) costs several subscriptions per step.
 *
 * @example
 * andThen(decide(work), (w) => (w.events.length === 0 ? w : store.append(w.events)))
 */
export const andThen = <T, R>(result: StepResult<T>, step: Step<T, R>): StepResult<R> => {
  if (result instanceof Awaiting) return result.andThen(step);
  return waits(result) ? new Awaiting(result, step, 'last') : step(result);
};

/** The steps one after the other, as one step: synchronous for as long as they answer at once. */
export const inOrder =
  <T>(...steps: readonly Step<T>[]): Step<T> =>
  (value) =>
    runFrom(steps, 0, value);

const runFrom = <T>(steps: readonly Step<T>[], first: number, value: T): StepResult<T> => {
  let current = value;
  for (let i = first; i < steps.length; i++) {
    const result = steps[i]!(current);
    if (!waits(result)) {
      current = result;
      continue;
    }
    const next = i + 1;
    return next === steps.length ? result : andThen(result, (v: T) => runFrom(steps, next, v));
  }
  return current;
};

/** The first value `source` emits, after which it is unsubscribed (`take(1)` without an operator). */
export const firstOf = <T>(source: Observable<T>): Pending<T> => new Awaiting(source, (value: T) => value, 'first');

/** Runs `effect` to its completion, ignoring what it emits, then goes on with `then`. */
export const whenComplete = <R>(effect: Observable<unknown>, then: () => StepResult<R>): Pending<R> => new Awaiting(effect, then, 'done');

/**
 * `result`, or when it fails, what `recovery` answers for its error (which may throw it again).
 * Work that answered at once cannot fail any more: it is returned as it is.
 */
export const recover = <T>(result: StepResult<T>, recovery: (error: unknown) => StepResult<T>): StepResult<T> =>
  waits(result) ? new Recovering(result, recovery) : result;

/**
 * Work as a cold Observable: `run` is called at each subscription (so a retry runs the work again),
 * and what the work answers is emitted, at once when it is a value. A `run` that throws errors it.
 */
export const runStep = <R>(run: () => StepResult<R>): Observable<R> =>
  new Observable<R>((subscriber) => {
    runWork(run(), subscriber, subscriber);
  });

/**
 * Runs `work`: what it answers goes to `observer`, then its completion (or its error); its
 * subscriptions join `teardown`. An observer that is an RxJS Subscriber is subscribed as it is.
 */
export const runWork = <T>(work: StepResult<T>, observer: Observer<T>, teardown: Subscription): void => {
  if (work instanceof Pending) return work.run(observer, teardown);
  if (isObservable(work)) return void teardown.add(work.subscribe(observer));
  observer.next(work);
  observer.complete();
};

/**
 * Work waiting for `awaited`, to go on with `then` on its last value (`last`: with none, the work
 * ends there), on its first value (`first`: then it is unsubscribed) or on its completion
 * whatever it emitted (`done`).
 */
class Awaiting<S, T> extends Pending<T> {
  constructor(
    private readonly awaited: Observable<S> | Pending<S>,
    private readonly then: (value: S) => StepResult<T>,
    private readonly on: 'last' | 'first' | 'done',
  ) {
    super();
  }

  /** The same wait, going on with `step` after `then`: no object around this one. */
  andThen<R>(step: Step<T, R>): Awaiting<S, R> {
    return new Awaiting(this.awaited, (value: S) => andThen(this.then(value), step), this.on);
  }

  run(observer: Observer<T>, teardown: Subscription): void {
    const continuation = new Continuation(this.then, this.on, observer, teardown);
    if (this.awaited instanceof Pending) return this.awaited.run(continuation, teardown);
    const subscription = this.awaited.subscribe(continuation);
    continuation.subscribed(subscription);
  }
}

/** What an Awaiting does with what it waits for: one object, where a partial observer makes a closure per callback. */
class Continuation<S, T> implements Observer<S> {
  private answered = false;
  private last: S | undefined;
  /** `first` only: the awaited subscription, and whether its first value went on already. */
  private subscription: Subscription | undefined;
  private taken = false;

  constructor(
    private readonly then: (value: S) => StepResult<T>,
    private readonly on: 'last' | 'first' | 'done',
    private readonly observer: Observer<T>,
    private readonly teardown: Subscription,
  ) {}

  subscribed(subscription: Subscription): void {
    if (this.taken) subscription.unsubscribe();
    else {
      this.subscription = subscription;
      this.teardown.add(subscription);
    }
  }

  next(value: S): void {
    if (this.on !== 'first') {
      this.answered = true;
      this.last = value;
      return;
    }
    if (this.taken) return;
    this.taken = true;
    this.subscription?.unsubscribe();
    this.goOn(value);
  }

  error(error: unknown): void {
    if (!this.taken) this.observer.error(error);
  }

  complete(): void {
    if (this.taken) return;
    if (this.on === 'done' || this.answered) this.goOn(this.last as S);
    else this.observer.complete();
  }

  private goOn(value: S): void {
    let result: StepResult<T>;
    try {
      result = this.then(value);
    } catch (error) {
      return this.observer.error(error);
    }
    runWork(result, this.observer, this.teardown);
  }
}

/** Work whose failure is handed to `recovery`, whose answer then stands for it. */
class Recovering<T> extends Pending<T> {
  constructor(
    private readonly work: Observable<T> | Pending<T>,
    private readonly recovery: (error: unknown) => StepResult<T>,
  ) {
    super();
  }

  run(observer: Observer<T>, teardown: Subscription): void {
    runWork(this.work, new Recovery(this.recovery, observer, teardown), teardown);
  }
}

class Recovery<T> implements Observer<T> {
  constructor(
    private readonly recovery: (error: unknown) => StepResult<T>,
    private readonly observer: Observer<T>,
    private readonly teardown: Subscription,
  ) {}

  next(value: T): void {
    this.observer.next(value);
  }

  error(error: unknown): void {
    let again: StepResult<T>;
    try {
      again = this.recovery(error);
    } catch (failure) {
      return this.observer.error(failure);
    }
    runWork(again, this.observer, this.teardown);
  }

  complete(): void {
    this.observer.complete();
  }
}
