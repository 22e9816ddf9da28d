import { asyncScheduler, interval, map, scan, type Observable, type SchedulerLike } from 'rxjs';
import type { OffsetLedger, StalledPartition } from './offsetLedger.js';

export interface StallWatchOptions {
  /** A partition without progress for this long is stalled (PARTITION_STALL_MS). */
  readonly stallMs: number;
  /** How often to look (a few seconds is plenty next to stallMs). */
  readonly everyMs: number;
  readonly scheduler?: SchedulerLike;
}

/** One look at the partitions: those stalled now, and of them those that were not at the previous look. */
export interface StallReport {
  readonly stalled: readonly StalledPartition[];
  readonly newlyStalled: readonly StalledPartition[];
}

const stallKey = (s: StalledPartition): string => `${s.topic}\u0000${s.partition}\u0000${s.offset}`;

/**
 * Looks at the offset ledger every `everyMs` and reports the stalled partitions, so that each stall
 * is counted and logged once, when it starts (a partition stuck at the same offset stays one stall).
 */
export const watchStalls = (ledger: Pick<OffsetLedger, 'stalled'>, options: StallWatchOptions): Observable<StallReport> =>
  interval(options.everyMs, options.scheduler ?? asyncScheduler).pipe(
    map(() => ledger.stalled(options.stallMs)),
    scan<readonly StalledPartition[], StallReport & { readonly keys: ReadonlySet<string> }>(
      (previous, stalled) => ({
        stalled,
        newlyStalled: stalled.filter((s) => !previous.keys.has(stallKey(s))),
        keys: new Set(stalled.map(stallKey)),
      }),
      { stalled: [], newlyStalled: [], keys: new Set() },
    ),
    map(({ stalled, newlyStalled }) => ({ stalled, newlyStalled })),
  );
