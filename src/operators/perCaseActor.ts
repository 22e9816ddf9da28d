import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { FifoQueue } from '../lib/fifoQueue.js';
import { LruMap } from '../lib/lruMap.js';
import { Semaphore } from '../lib/semaphore.js';

export interface PerCaseActorOptions {
  /** At most this many cases do work at the same time; others wait their turn, nothing is dropped. */
  readonly maxActiveCases: number;
  /** A case with nothing queued or running for this long is released. */
  readonly idleMs: number;
  /**
   * How many released cases keep their memory (the most recently released): a case's next message
   * soon after its release then starts from it instead of reading the case's stream again. 0 drops
   * a memory with its actor.
   */
  readonly keepReleased?: number;
  readonly scheduler?: SchedulerLike;
}

export interface ActorHooks {
  /** Called whenever the number of live actors changes (for metrics). */
  readonly onActorsChanged?: (live: number) => void;
}

/** An actor's private memory, kept between its messages and handed on (or dropped) when it is released. */
export interface ActorMemo<S> {
  state: S | undefined;
}

interface Actor<T, S> {
  readonly key: string;
  readonly memo: ActorMemo<S>;
  /** Messages received and not yet started, oldest first. */
  readonly queue: T[];
  /** Running a message, or in line for a permit to run the next one. */
  busy: boolean;
  /** The running message's work, to cancel on teardown. */
  running?: Subscription;
  /** When the actor last became idle (scheduler time). */
  idleSince: number;
}

/**
 * One actor per case: each case's messages run strictly in order, one at a time; different cases
 * run in parallel up to `maxActiveCases` (permits granted in request order, nothing dropped); a
 * case with nothing queued or running for `idleMs` is released.
 *
 * Hand-written rather than `groupBy` + `mergeMap(concatMap)`: with thousands of live cases RxJS
 * keeps every group's subscription in one array and removes each with a linear search and splice
 * (`arrRemove`), which was 9 % of the operator benchmark's CPU, plus a timer per idle case. Here
 * every step is O(1): a map of actors, a line of actors waiting for a permit, and one timer for
 * the idle actors, which go idle in deadline order. A case is released only when idle AND
 * drained, so a new actor for the same case can never overlap its predecessor.
 *
 * @example
 * records$.pipe(perCaseActor((r) => r.caseId, (r, memo) => handle(r, memo), { maxActiveCases: 64, idleMs: 30_000 }))
 */
export function perCaseActor<T, R, S>(
  keyOf: (value: T) => string,
  work: (value: T, memo: ActorMemo<S>) => Observable<R>,
  options: PerCaseActorOptions,
  hooks: ActorHooks = {},
): OperatorFunction<T, R> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const keepReleased = options.keepReleased ?? 0;
  return (source) =>
    new Observable<R>((subscriber) => {
      const actors = new Map<string, Actor<T, S>>();
      // Idle actors by key in the order they went idle, which is their release order.
      const idle = new Map<string, Actor<T, S>>();
      // The memories of the most recently released cases; a case's memory lives in one place at a time.
      const released = keepReleased > 0 ? new LruMap<string, S>(keepReleased) : undefined;
      const waiting = new FifoQueue<Actor<T, S>>();
      // Actors granted a permit, started from one loop so synchronous work cannot recurse without bound.
      const granted = new FifoQueue<Actor<T, S>>();
      let starting = false;
      // Only counted here: waiting actors queue in `waiting`, so a release never hands on by recursion.
      const permits = new Semaphore(options.maxActiveCases);
      let unfinished = 0;
      let sourceDone = false;
      let sweep: Subscription | undefined;

      const liveChanged = () => hooks.onActorsChanged?.(actors.size);

      const releaseIdle = () => {
        sweep = undefined;
        const now = scheduler.now();
        for (const actor of idle.values()) {
          const due = actor.idleSince + options.idleMs - now;
          if (due > 0) {
            sweep = scheduler.schedule(releaseIdle, due);
            return;
          }
          idle.delete(actor.key);
          actors.delete(actor.key);
          if (actor.memo.state !== undefined) released?.set(actor.key, actor.memo.state);
          liveChanged();
        }
      };

      const goIdle = (actor: Actor<T, S>) => {
        actor.busy = false;
        actor.idleSince = scheduler.now();
        idle.set(actor.key, actor);
        sweep ??= scheduler.schedule(releaseIdle, options.idleMs);
      };

      const requestPermit = (actor: Actor<T, S>) => {
        actor.busy = true;
        if (!permits.tryAcquire()) {
          waiting.push(actor);
          return;
        }
        granted.push(actor);
        startGranted();
      };

      const finished = (actor: Actor<T, S>) => {
        actor.running = undefined;
        unfinished -= 1;
        // The permit goes to the actor waiting longest; this actor's next message queues behind it.
        const next = waiting.shift();
        if (next) granted.push(next);
        else permits.release();
        if (actor.queue.length > 0) requestPermit(actor);
        else goIdle(actor);
        startGranted();
        if (sourceDone && unfinished === 0) subscriber.complete();
      };

      const start = (actor: Actor<T, S>) => {
        const value = actor.queue.shift() as T;
        let done = false;
        let inner: Observable<R>;
        try {
          inner = work(value, actor.memo);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        const subscription = inner.subscribe({
          next: (r) => subscriber.next(r),
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            done = true;
            finished(actor);
          },
        });
        // The subscriber may have closed during a synchronous emission of this very work.
        if (subscriber.closed) subscription.unsubscribe();
        else if (!done) actor.running = subscription;
      };

      function startGranted() {
        if (starting) return;
        starting = true;
        for (let actor = granted.shift(); actor && !subscriber.closed; actor = granted.shift()) start(actor);
        starting = false;
      }

      const accept = (value: T) => {
        let key: string;
        try {
          key = keyOf(value);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        let actor = actors.get(key);
        if (!actor) {
          actor = { key, memo: { state: released?.take(key) }, queue: [], busy: false, idleSince: 0 };
          actors.set(key, actor);
          liveChanged();
        } else idle.delete(key);
        unfinished += 1;
        actor.queue.push(value);
        if (!actor.busy) requestPermit(actor);
      };

      const upstream = source.subscribe({
        next: accept,
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (unfinished === 0) subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        sweep?.unsubscribe();
        for (const actor of actors.values()) actor.running?.unsubscribe();
      };
    });
}
