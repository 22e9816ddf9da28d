import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
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
 * an incomplete message: taken at once after each completion when `commitEveryMs` is 0, else
 * `commitEveryMs` after the first completion since the last commit (a commit still due when the
 * pipeline completes is made before this completes). Hand-rolled rather than share + auditTime +
 * merge: one subscriber and no Subject on every completion's path.
 */
export const consumeLoop =
  (pipeline: OperatorFunction<InboundRecord, Completion>, options: ConsumeLoopOptions) =>
  (records: Observable<InboundRecord>): Observable<LoopEvent> =>
    new Observable<LoopEvent>((subscriber) => {
      const scheduler = options.scheduler ?? asyncScheduler;
      let due: Subscription | undefined;
      let pipelineDone = false;
      const commit = (): void => {
        due = undefined;
        const positions = options.intake.takeCommittable();
        if (positions.length > 0) subscriber.next({ kind: 'commit', positions });
        if (pipelineDone) subscriber.complete();
      };
      const completions = records.pipe(pipeline).subscribe({
        next: (completion) => {
          options.intake.complete(completion.position);
          subscriber.next({ kind: 'completed', completion });
          if (options.commitEveryMs === 0) commit();
          else due ??= scheduler.schedule(commit, options.commitEveryMs);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          pipelineDone = true;
          if (due === undefined) subscriber.complete();
        },
      });
      return () => {
        completions.unsubscribe();
        due?.unsubscribe();
      };
    });
