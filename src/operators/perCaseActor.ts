import {
  asyncScheduler,
  concatMap,
  defer,
  groupBy,
  mergeMap,
  Observable,
  Subject,
  tap,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { LruMap } from '../lib/lruMap.js';
import { Semaphore } from './semaphore.js';

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

interface Actor<S> {
  pending: number;
  readonly memo: ActorMemo<S>;
  readonly expire: Subject<void>;
  idleTimer?: Subscription;
}

/**
 * One actor per case: `groupBy(case key)` with each group handled strictly in order
 * (`concatMap`), groups running in parallel up to `maxActiveCases`, and groups released after
 * `idleMs` without work.
 *
 * Why not `mergeMap(group, N)`: groups beyond N would sit unsubscribed while groupBy pushes their
 * values into a plain Subject, losing them (ReactiveX/rxjs#2028). So every group is subscribed
 * and a semaphore bounds the work instead. A group expires only when idle AND drained: expiring
 * a group whose last message is still running would let a new group for the same case start
 * at once, breaking per-case order.
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
  return (source) =>
    defer(() => {
      const permits = new Semaphore(options.maxActiveCases);
      const actors = new Map<string, Actor<S>>();
      // The memories of the most recently released cases; a case's memory lives in one place at a time.
      const keepReleased = options.keepReleased ?? 0;
      const released = keepReleased > 0 ? new LruMap<string, S>(keepReleased) : undefined;

      const actorFor = (key: string): Actor<S> => {
        let actor = actors.get(key);
        if (!actor) {
          actor = { pending: 0, memo: { state: released?.take(key) }, expire: new Subject<void>() };
          actors.set(key, actor);
          hooks.onActorsChanged?.(actors.size);
        }
        return actor;
      };

      const scheduleRelease = (key: string, actor: Actor<S>) => {
        actor.idleTimer = scheduler.schedule(() => {
          if (actor.pending > 0 || actors.get(key) !== actor) return;
          actors.delete(key);
          if (actor.memo.state !== undefined) released?.set(key, actor.memo.state);
          hooks.onActorsChanged?.(actors.size);
          actor.expire.next();
          actor.expire.complete();
        }, options.idleMs);
      };

      return source.pipe(
        tap((value) => {
          const actor = actorFor(keyOf(value));
          actor.pending += 1;
          actor.idleTimer?.unsubscribe();
        }),
        groupBy(keyOf, { duration: (group) => actorFor(group.key).expire }),
        mergeMap((group) => {
          const actor = actorFor(group.key);
          return group.pipe(
            concatMap((value) =>
              permits.run(defer(() => work(value, actor.memo))).pipe(
                tap({
                  finalize: () => {
                    actor.pending -= 1;
                    if (actor.pending === 0) scheduleRelease(group.key, actor);
                  },
                }),
              ),
            ),
          );
        }),
      );
    });
}
