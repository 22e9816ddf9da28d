import {
  asyncScheduler,
  auditTime,
  filter,
  map,
  merge,
  share,
  tap,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { Completion } from './ports.js';
import type { Intake } from './intake.js';
import type { CommitPosition } from './offsetLedger.js';
import type { InboundRecord } from './records.js';

export type LoopEvent =
  | { readonly kind: 'completed'; readonly completion: Completion }
  | { readonly kind: 'commit'; readonly positions: readonly CommitPosition[] };

export interface ConsumeLoopOptions {
  /** Where completions go back: credits, bytes and offsets. */
  readonly intake: Intake;
  /** Commits are gathered for this long after a completion (0: after every completion). */
  readonly commitEveryMs: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Runs admitted records through the pipeline: each completion goes back to the intake (freeing its
 * credit and bytes), and the commit positions it moves are gathered into commits that never pass
 * an incomplete message.
 */
export const consumeLoop =
  (pipeline: OperatorFunction<InboundRecord, Completion>, options: ConsumeLoopOptions) =>
  (records: Observable<InboundRecord>): Observable<LoopEvent> => {
    const completions = records.pipe(
      pipeline,
      tap((c) => {
        options.intake.complete(c.position);
      }),
      share(),
    );
    const settle =
      options.commitEveryMs > 0
        ? auditTime<Completion>(options.commitEveryMs, options.scheduler ?? asyncScheduler)
        : (s: Observable<Completion>) => s;
    const commits = completions.pipe(
      settle,
      map(() => options.intake.takeCommittable()),
      filter((positions) => positions.length > 0),
      map((positions): LoopEvent => ({ kind: 'commit', positions })),
    );
    return merge(completions.pipe(map((completion): LoopEvent => ({ kind: 'completed', completion }))), commits);
  };
