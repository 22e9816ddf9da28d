import { asyncScheduler, catchError, concatMap, defer, from, map, of, repeat, tap, timer, type Observable, type SchedulerLike } from 'rxjs';

/** Records kept for `maxAgeMs`, deleted by the sweep once older. */
export interface SweepTarget {
  /** What the reports name it by, e.g. the collection. */
  readonly name: string;
  readonly maxAgeMs: number;
}

export interface ExpiredRecords {
  /** Deletes at most `limit` records of `target` older than `before`: how many went, and whether the batch was full. */
  deleteExpired(target: SweepTarget, before: Date, limit: number): Observable<{ readonly deleted: number; readonly more: boolean }>;
}

export interface RetentionSweepOptions {
  readonly intervalMs: number;
  /** The most records one pass deletes per target. */
  readonly batchSize: number;
  /** The pause before the next pass when a batch was full (default the smaller of 1 s and intervalMs). */
  readonly catchUpMs?: number;
  readonly scheduler?: SchedulerLike;
}

export type SweepReport =
  | { readonly kind: 'swept'; readonly target: string; readonly deleted: number }
  | { readonly kind: 'failed'; readonly target: string; readonly error: unknown };

/**
 * The retention sweep, for records the server has no TTL index for: a pass deletes at most
 * `batchSize` expired records of each target, one target after the other, and reports each. The
 * next pass comes `intervalMs` after the end of this one, or `catchUpMs` when a batch was full, so a
 * backlog drains in bounded steps between which the pipeline has the database. A pass never
 * overlaps another; a failure is reported and the next pass tries again.
 */
export const retentionSweep = (
  records: ExpiredRecords,
  targets: readonly SweepTarget[],
  options: RetentionSweepOptions,
): Observable<SweepReport> => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const catchUpMs = options.catchUpMs ?? Math.min(1_000, options.intervalMs);
  let backlog = false;
  const sweepOne = (target: SweepTarget): Observable<SweepReport> =>
    defer(() => records.deleteExpired(target, new Date(scheduler.now() - target.maxAgeMs), options.batchSize)).pipe(
      tap((batch) => (backlog ||= batch.more)),
      map((batch): SweepReport => ({ kind: 'swept', target: target.name, deleted: batch.deleted })),
      catchError((error: unknown) => of<SweepReport>({ kind: 'failed', target: target.name, error })),
    );
  const pass = defer(() => {
    backlog = false;
    return from(targets).pipe(concatMap(sweepOne));
  });
  return pass.pipe(repeat({ delay: () => timer(backlog ? catchUpMs : options.intervalMs, scheduler) }));
};
