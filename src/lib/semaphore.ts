import { Observable } from 'rxjs';

/**
 * A counting semaphore for Observables, granting permits in request order. It is how casestream
 * bounds work without losing values: RxJS has no backpressure, so instead of dropping or
 * buffering blindly, a caller waits (subscribed, unserved) until a permit is free.
 */
export class Semaphore {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
    this.available = size;
  }

  /**
   * Emits once when a permit is granted, then completes; the holder must `release()` it.
   * Unsubscribing before the grant gives up the place in the queue.
   */
  acquire(): Observable<void> {
    return new Observable<void>((subscriber) => {
      const grant = () => {
        subscriber.next();
        subscriber.complete();
      };
      if (this.tryAcquire()) {
        grant();
        return undefined;
      }
      this.waiting.push(grant);
      return () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
      };
    });
  }

  /** Takes a permit if one is free right now (nobody can be waiting then); false otherwise. */
  tryAcquire(): boolean {
    if (this.available === 0) return false;
    this.available -= 1;
    return true;
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else if (this.available < this.size) this.available += 1;
    else throw new Error('semaphore released more often than acquired');
  }
}
