import { Observable } from 'rxjs';

/**
 * A budget of bytes in flight, granted in request order and given back per holder (e.g. a record's position): the byte
 * companion of the message credits (Semaphore). A record larger than the whole budget is granted
 * when nothing else holds bytes, so it passes alone instead of waiting forever.
 */
export class ByteBudget {
  private used = 0;
  private readonly held = new Map<string, number>();
  private readonly waiting: { readonly key: string; readonly bytes: number; readonly grant: () => void }[] = [];

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`byte budget must be a positive integer, got ${size}`);
  }

  /** Bytes currently held. */
  get inUse(): number {
    return this.used;
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.size;
  }

  private hold(key: string, bytes: number): void {
    this.used += bytes;
    // a record taken again before its first completion (a redelivery) adds up; its completion gives all back
    this.held.set(key, (this.held.get(key) ?? 0) + bytes);
  }

  /** Takes `bytes` for the holder if they fit now and nobody waits before it; false otherwise. */
  tryTake(holder: string, bytes: number): boolean {
    if (this.waiting.length > 0 || !this.fits(bytes)) return false;
    this.hold(holder, bytes);
    return true;
  }

  /** Emits once the bytes are granted, then completes; unsubscribing before gives up the place in the queue. */
  take(holder: string, bytes: number): Observable<void> {
    return new Observable<void>((subscriber) => {
      const grant = () => {
        subscriber.next();
        subscriber.complete();
      };
      if (this.tryTake(holder, bytes)) {
        grant();
        return undefined;
      }
      const waiter = { key: holder, bytes, grant };
      this.waiting.push(waiter);
      return () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
      };
    });
  }

  /** Gives back the bytes held by the holder (nothing when it holds none) and grants the waiters that now fit. */
  give(holder: string): void {
    const bytes = this.held.get(holder);
    if (bytes === undefined) return;
    this.held.delete(holder);
    this.used -= bytes;
    for (let next = this.waiting[0]; next !== undefined && this.fits(next.bytes); next = this.waiting[0]) {
      this.waiting.shift();
      this.hold(next.key, next.bytes);
      next.grant();
    }
  }
}
