import {
  asyncScheduler,
  groupBy,
  Observable,
  type Observer,
  type OperatorFunction,
  type SchedulerLike,
  type SubjectLike,
  type Subscriber,
  type Subscription,
  type TeardownLogic,
  type Unsubscribable,
} from 'rxjs';
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

/**
 * One actor per case: each case's messages run strictly in order, one at a time; different cases
 * run in parallel up to `maxActiveCases` (permits granted in request order, nothing dropped); a
 * case with nothing queued or running for `idleMs` is released.
 *
 * A case's messages are a `groupBy` group, and the group's duration selector ends it as soon as the
 * case has nothing queued and nothing running: a later message opens a new group, which cannot
 * overlap the ended one, so order holds. The case stays live for `idleMs` more: its memory waits in
 * a line of idle cases and goes to the case's next group if a message comes in time; otherwise the
 * case is released. Groups end before their cases are released because an open group keeps
 * groupBy's state for it (its subject, its duration subscription and closures) and groupBy removes
 * a group's duration subscription from one array with a linear search: kept open while idle, for
 * every idle case, that cost 5-15 % of the operator benchmark's CPU; only busy cases' groups are
 * open now, and they are few (bounded by the messages in flight).
 *
 * Around groupBy: each actor is its group's subject (groupBy's `connector`) and takes the group's
 * messages directly, so there is no Subject and no subscription per group, and nothing like
 * `mergeMap`'s array of inner subscriptions (another linear `arrRemove` per case, 9 % of that
 * benchmark's CPU). One timer serves every idle case: cases go idle in deadline order, so one sweep
 * releases the due ones and re-arms for the next (a timer per idle case measured ~0.4 KB per idle
 * case and ~20 % more CPU in this operator). A line of cases waiting for a permit, and one loop that
 * starts the granted ones, keep work that finishes synchronously from recursing.
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
  return (source) => new Observable<R>((subscriber) => new Actors(work, options, hooks, subscriber).run(source, keyOf));
}

/**
 * A case's actor for the life of one group: the subject groupBy's connector made for it, fed the
 * group's messages; completed when the group ends (drained, or the source completed).
 */
class Actor<T, S> implements SubjectLike<T> {
  /** Set when groupBy opens the group. */
  key = '';
  /** Set when groupBy opens the group: the case's memory, handed on from group to group. */
  memo: ActorMemo<S> = { state: undefined };
  /** Messages received and not yet started, oldest first. */
  queue: T[] = [];
  /** Running a message, or in line for a permit to run the next one; when false, the queue is empty. */
  busy = false;
  /** The running message's work, to cancel on teardown. */
  running: Subscription | undefined = undefined;
  /** When the case went idle (scheduler time). */
  idleSince = 0;
  /** The group's duration: notifying it makes groupBy complete the group and forget it. */
  endGroup: Observer<void> | undefined = undefined;
  /** The group has completed: no message comes to this actor any more. */
  ended = false;

  constructor(private readonly actors: Actors<T, unknown, S>) {}

  next(value: T): void {
    this.actors.accept(this, value);
  }

  error(error: unknown): void {
    this.actors.fail(error);
  }

  complete(): void {
    this.ended = true;
  }

  /** Nobody subscribes to a case's group: its actor takes the messages itself. */
  subscribe(): Unsubscribable {
    throw new Error('a case actor takes its messages from groupBy and cannot be subscribed to');
  }
}

/** The actors of one subscription to perCaseActor's output. */
class Actors<T, R, S> {
  private readonly scheduler: SchedulerLike;
  /** Cases with an open group: something queued or running. */
  private readonly working = new Map<string, Actor<T, S>>();
  /** Cases whose group ended, by key in the order they went idle, which is their release order. */
  private readonly idle = new Map<string, Actor<T, S>>();
  /** The memories of the most recently released cases; a case's memory lives in one place at a time. */
  private readonly released: LruMap<string, S> | undefined;
  private readonly waiting = new FifoQueue<Actor<T, S>>();
  /** Actors granted a permit, started from one loop so synchronous work cannot recurse without bound. */
  private readonly granted = new FifoQueue<Actor<T, S>>();
  private starting = false;
  /** Only counted here: waiting actors queue in `waiting`, so a release never hands on by recursion. */
  private readonly permits: Semaphore;
  private unfinished = 0;
  private sourceDone = false;
  private sweep: Subscription | undefined;
  /** The actor groupBy's connector made last, until groupBy opens its group. */
  private opening: Actor<T, S> | undefined;

  constructor(
    private readonly work: (value: T, memo: ActorMemo<S>) => Observable<R>,
    private readonly options: PerCaseActorOptions,
    private readonly hooks: ActorHooks,
    private readonly subscriber: Subscriber<R>,
  ) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    const keep = options.keepReleased ?? 0;
    this.released = keep > 0 ? new LruMap<string, S>(keep) : undefined;
    this.permits = new Semaphore(options.maxActiveCases);
  }

  run(source: Observable<T>, keyOf: (value: T) => string): TeardownLogic {
    const upstream = source
      .pipe(
        groupBy(keyOf, {
          connector: () => (this.opening = new Actor<T, S>(this)),
          duration: (group) => this.open(group.key),
        }),
      )
      .subscribe({
        error: (error: unknown) => this.fail(error),
        complete: () => {
          this.sourceDone = true;
          // No message can come any more: the idle cases have nothing to wait for.
          for (const actor of this.idle.values()) this.release(actor);
          if (this.unfinished === 0) this.subscriber.complete();
        },
      });
    return () => {
      this.sweep?.unsubscribe();
      for (const actor of this.working.values()) actor.running?.unsubscribe();
      upstream.unsubscribe();
      // Nothing of the cases outlives the subscription, whoever still holds this object.
      this.working.clear();
      this.idle.clear();
    };
  }

  /**
   * groupBy opens the group of `key` right after its connector made the group's actor, before the
   * group's first message; the group lasts until its case has nothing queued or running.
   */
  private open(key: string): Observable<void> {
    const actor = this.opening;
    if (actor === undefined) throw new Error('groupBy opened a group its connector did not make');
    this.opening = undefined;
    actor.key = key;
    const idle = this.idle.get(key);
    if (idle !== undefined) this.idle.delete(key);
    actor.memo = idle?.memo ?? { state: this.released?.take(key) };
    this.working.set(key, actor);
    if (idle === undefined) this.liveChanged();
    return new Observable<void>((endGroup) => {
      actor.endGroup = endGroup;
    });
  }

  accept(actor: Actor<T, S>, value: T): void {
    this.unfinished += 1;
    // Most cases hold one message at a time: a one-slot array, where a push would grow it to 17.
    if (actor.queue.length === 0) actor.queue = [value];
    else actor.queue.push(value);
    if (!actor.busy) this.requestPermit(actor);
  }

  fail(error: unknown): void {
    this.subscriber.error(error);
  }

  private liveChanged(): void {
    this.hooks.onActorsChanged?.(this.working.size + this.idle.size);
  }

  private release(actor: Actor<T, S>): void {
    this.idle.delete(actor.key);
    if (actor.memo.state !== undefined) this.released?.set(actor.key, actor.memo.state);
    this.liveChanged();
  }

  private readonly releaseIdle = (): void => {
    this.sweep = undefined;
    const now = this.scheduler.now();
    for (const actor of this.idle.values()) {
      const due = actor.idleSince + this.options.idleMs - now;
      if (due > 0) {
        this.sweep = this.scheduler.schedule(this.releaseIdle, due);
        return;
      }
      this.release(actor);
    }
  };

  /** The case has nothing queued or running: its group ends, and the case waits idle or is released. */
  private drained(actor: Actor<T, S>): void {
    actor.busy = false;
    this.working.delete(actor.key);
    // After the source completed no message can come: nothing to wait for.
    if (actor.ended) {
      this.release(actor);
      return;
    }
    actor.idleSince = this.scheduler.now();
    this.idle.set(actor.key, actor);
    this.sweep ??= this.scheduler.schedule(this.releaseIdle, this.options.idleMs);
    // Let go of groupBy's duration subscriber: an idle case keeps only its memory.
    const endGroup = actor.endGroup;
    actor.endGroup = undefined;
    endGroup?.next();
  }

  private requestPermit(actor: Actor<T, S>): void {
    actor.busy = true;
    if (!this.permits.tryAcquire()) {
      this.waiting.push(actor);
      return;
    }
    this.granted.push(actor);
    this.startGranted();
  }

  private finished(actor: Actor<T, S>): void {
    actor.running = undefined;
    this.unfinished -= 1;
    // The permit goes to the actor waiting longest; this actor's next message queues behind it.
    const next = this.waiting.shift();
    if (next) this.granted.push(next);
    else this.permits.release();
    if (actor.queue.length > 0) this.requestPermit(actor);
    else this.drained(actor);
    this.startGranted();
    if (this.sourceDone && this.unfinished === 0) this.subscriber.complete();
  }

  private start(actor: Actor<T, S>): void {
    const value = actor.queue.shift() as T;
    let done = false;
    let inner: Observable<R>;
    try {
      inner = this.work(value, actor.memo);
    } catch (error) {
      this.subscriber.error(error);
      return;
    }
    const subscription = inner.subscribe({
      next: (r) => this.subscriber.next(r),
      error: (error: unknown) => this.subscriber.error(error),
      complete: () => {
        done = true;
        this.finished(actor);
      },
    });
    // The subscriber may have closed during a synchronous emission of this very work.
    if (this.subscriber.closed) subscription.unsubscribe();
    else if (!done) actor.running = subscription;
  }

  private startGranted(): void {
    if (this.starting) return;
    this.starting = true;
    for (let actor = this.granted.shift(); actor && !this.subscriber.closed; actor = this.granted.shift()) this.start(actor);
    this.starting = false;
  }
}
