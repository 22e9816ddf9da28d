import {
  asyncScheduler,
  auditTime,
  concatMap,
  filter,
  map,
  merge,
  share,
  tap,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { ByteBudget } from '../operators/byteBudget.js';
import type { Semaphore } from '../operators/semaphore.js';
import type { Completion } from './handleMessage.js';
import type { CommitPosition, OffsetLedger } from './offsetLedger.js';
import type { InboundRecord } from './records.js';

export type LoopEvent =
  | { readonly kind: 'completed'; readonly completion: Completion }
  | { readonly kind: 'commit'; readonly positions: readonly CommitPosition[] };

export interface ConsumeLoopOptions {
  /** Credits: at most this many messages between the consumer and their completion. */
  readonly inFlight: Semaphore;
  /** Bytes in flight, taken by the Kafka source per record: each completion gives its record's back. */
  readonly inFlightBytes?: ByteBudget;
  readonly ledger: OffsetLedger;
  /** Commits are gathered for this long after a completion (0: after every completion). */
  readonly commitEveryMs: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Takes a record only when a credit is free (the Kafka source awaits the same credits, so a full
 * pipeline stops fetching), tracks it in the offset ledger, and turns completions into credit
 * back and into commit positions that never pass an incomplete message.
 */
export const takeWithCredit = (inFlight: Semaphore, ledger: OffsetLedger): OperatorFunction<InboundRecord, InboundRecord> =>
  concatMap((record) =>
    inFlight.acquire().pipe(
      map(() => {
        ledger.track(record);
        return record;
      }),
    ),
  );

export const consumeLoop =
  (pipeline: OperatorFunction<InboundRecord, Completion>, options: ConsumeLoopOptions) =>
  (records: Observable<InboundRecord>): Observable<LoopEvent> => {
    const completions = records.pipe(
      pipeline,
      tap((c) => {
        options.ledger.complete(c.position);
        options.inFlight.release();
        options.inFlightBytes?.give(c.position);
      }),
      share(),
    );
    const settle = options.commitEveryMs > 0 ? auditTime<Completion>(options.commitEveryMs, options.scheduler ?? asyncScheduler) : (s: Observable<Completion>) => s;
    const commits = completions.pipe(
      settle,
      map(() => options.ledger.takeCommittable()),
      filter((positions) => positions.length > 0),
      map((positions): LoopEvent => ({ kind: 'commit', positions })),
    );
    return merge(completions.pipe(map((completion): LoopEvent => ({ kind: 'completed', completion }))), commits);
  };
