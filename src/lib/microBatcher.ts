import { Observable } from 'rxjs';

export interface MicroBatcherOptions<I, O, T = undefined> {
  /**
   * Does the work of one batch; must resolve with exactly one result per item, in item order.
   * A rejection (or a throw) fails every caller of that batch. `tags` holds each item's tag (see
   * `tagOf`), in item order.
   */
  readonly run: (items: I[], tags: T[]) => Promise<O[]>;
  /** The most items one `run` call receives. */
  readonly maxBatch: number;
  /**
   * How long the first queued item waits for company before a batch is started. 0 (the default)
   * means "the next macrotask" (setImmediate): everything submitted in the same tick goes together.
   */
  readonly maxWaitMs?: number;
  /** How many `run` calls may be in flight at once (default 1): while they run, the queue grows. */
  readonly concurrency?: number;
  /**
   * Called as each item is submitted (its Observable subscribed), synchronously in the submitter's
   * context: what it returns goes to `run` beside the item. It carries what the caller knows and
   * the item does not, e.g. the caller's trace context that the batch's span links to. Absent:
   * every tag is undefined.
   */
  readonly tagOf?: () => T;
}

/** Submits one item; the item is queued on subscribe and the Observable emits its result once. */
export type MicroBatcher<I, O> = (item: I) => Observable<O>;

interface Entry<I, O, T> {
  readonly item: I;
  readonly tag: T;
  /** Set once the entry's Observable is unsubscribed (or has settled): its result is dropped. */
  closed: boolean;
  readonly next: (value: O) => void;
  readonly error: (err: unknown) => void;
}

const positiveInt = (name: string, n: number): number => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`microBatcher: ${name} must be a positive integer, got ${n}`);
  return n;
};

/**
 * Groups items submitted by many independent callers into few `run` calls.
 *
 * Items submitted in the same tick (or within `maxWaitMs` of the first queued one) share a batch
 * of at most `maxBatch` items; at most `concurrency` batches run at a time, so under load the
 * queue grows while a batch is in flight and the next batch is bigger. That is how one insert
 * carries the events of many case actors. Each caller's Observable emits its own result and
 * completes, or errors with its batch's error; retrying is the caller's business. Unsubscribing
 * before the batch starts removes the item; afterwards the work happens and its result is dropped.
 *
 * @example
 * const insert = createMicroBatcher<Doc, void>({ run: async (docs) => { await coll.insertMany(docs); return docs.map(() => undefined); }, maxBatch: 500 });
 * insert(doc).subscribe(); // many callers in the same tick → one insertMany
 */
export const createMicroBatcher = <I, O, T = undefined>(options: MicroBatcherOptions<I, O, T>): MicroBatcher<I, O> => {
  const maxBatch = positiveInt('maxBatch', options.maxBatch);
  const concurrency = positiveInt('concurrency', options.concurrency ?? 1);
  const maxWaitMs = options.maxWaitMs ?? 0;
  if (!(maxWaitMs >= 0)) throw new RangeError(`microBatcher: maxWaitMs must be >= 0, got ${maxWaitMs}`);

  /** Queued entries in submission order (a Set: O(1) removal on unsubscribe, ordered iteration). */
  const queue = new Set<Entry<I, O, T>>();
  let inFlight = 0;
  /** A flush is scheduled: items queued now will be picked up by it. */
  let timer: { readonly cancel: () => void } | undefined;

  const takeBatch = (): Entry<I, O, T>[] => {
    const batch: Entry<I, O, T>[] = [];
    for (const entry of queue) {
      if (batch.length >= maxBatch) break;
      queue.delete(entry);
      batch.push(entry);
    }
    return batch;
  };

  const settle = (batch: readonly Entry<I, O, T>[], outcome: { ok: true; results: O[] } | { ok: false; error: unknown }): void => {
    batch.forEach((entry, i) => {
      if (entry.closed) return;
      entry.closed = true;
      if (outcome.ok) entry.next(outcome.results[i] as O);
      else entry.error(outcome.error);
    });
  };

  const start = (batch: Entry<I, O, T>[]): void => {
    inFlight += 1;
    const items = batch.map((e) => e.item);
    const tags = batch.map((e) => e.tag);
    new Promise<O[]>((resolve) => resolve(options.run(items, tags)))
      .then((results) => {
        if (!Array.isArray(results) || results.length !== batch.length) {
          const got = Array.isArray(results) ? `${results.length} results` : typeof results;
          throw new Error(`microBatcher: run returned ${got} for ${batch.length} items`);
        }
        settle(batch, { ok: true, results });
      })
      .catch((error: unknown) => settle(batch, { ok: false, error }))
      .finally(() => {
        inFlight -= 1;
        // Whatever queued meanwhile has waited at least as long as the batch ran: go at once.
        drain();
      });
  };

  const drain = (): void => {
    while (inFlight < concurrency && queue.size > 0) start(takeBatch());
  };

  const schedule = (): void => {
    if (timer !== undefined) return;
    const fire = (): void => {
      timer = undefined;
      drain();
    };
    if (maxWaitMs === 0) {
      const handle = setImmediate(fire);
      timer = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(fire, maxWaitMs);
      timer = { cancel: () => clearTimeout(handle) };
    }
  };

  const flushSoon = (): void => {
    // A full batch need not wait out maxWaitMs: move the flush to the next macrotask.
    if (maxWaitMs > 0 && queue.size >= maxBatch && timer !== undefined) {
      timer.cancel();
      timer = undefined;
      const handle = setImmediate(() => {
        timer = undefined;
        drain();
      });
      timer = { cancel: () => clearImmediate(handle) };
      return;
    }
    schedule();
  };

  return (item: I): Observable<O> =>
    new Observable<O>((subscriber) => {
      const entry: Entry<I, O, T> = {
        item,
        tag: options.tagOf?.() as T,
        closed: false,
        next: (value) => {
          subscriber.next(value);
          subscriber.complete();
        },
        error: (err) => subscriber.error(err),
      };
      queue.add(entry);
      flushSoon();
      return () => {
        entry.closed = true;
        queue.delete(entry);
        if (queue.size === 0 && timer !== undefined) {
          timer.cancel();
          timer = undefined;
        }
      };
    });
};
