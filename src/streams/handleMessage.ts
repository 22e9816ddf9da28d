import {
  catchError,
  concatMap,
  defer,
  map,
  of,
  pipe,
  tap,
  throwError,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { emptyCase, type CaseState } from '../domain/caseState.js';
import { afterDone } from '../operators/afterDone.js';
import { appendEvents } from './steps/appendEvents.js';
import { startWork, type CaseWork } from './steps/caseWork.js';
import { concurrently } from '../operators/concurrently.js';
import { deadLetter } from './steps/deadLetter.js';
import type { DecodedRecord } from './steps/decodeRecord.js';
import { decideEvents } from './steps/decideEvents.js';
import { loadCaseState } from './steps/loadCaseState.js';
import { lookUpRule } from './steps/lookUpRule.js';
import type { ActorMemo } from '../operators/perCaseActor.js';
import { projectReadModels } from './steps/projectReadModels.js';
import { publishNotifications } from './steps/publishNotifications.js';
import { recordLookupFailure } from './steps/recordLookupFailure.js';
import { recordRawEvent } from './steps/recordRawEvent.js';
import { retryWithBackoff } from '../operators/retryWithBackoff.js';
import { isKeyReused } from '../domain/keyReuse.js';
import { rejection } from '../domain/rejection.js';
import { UnstorableInput, VersionConflict, type Completion, type PipelinePorts } from './ports.js';
import { positionOf } from './records.js';
import { inStepSpan, traceHandling, type MessageTrace } from './tracing/messageTrace.js';
import { COMMAND_ID, OUTCOME } from './tracing/semconv.js';

export interface HandlerOptions {
  /** How often a decision may meet a version conflict, reloading the case each time, before backing off. */
  readonly maxConflictRetries: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** MAX_NOTES_PER_DOCUMENT (its default when absent). */
  readonly maxNotesPerDocument?: number;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  readonly scheduler?: SchedulerLike;
  /** The retries' jitter source (see retryWithBackoff; default Math.random). */
  readonly random?: () => number;
}

const completionOf = (w: CaseWork): Completion => ({
  position: positionOf(w.record),
  outcome: w.rejection === null ? 'processed' : 'rejected',
  case_id: w.command?.case_id ?? null,
  event_ids: w.events.map((e) => e.event_id),
  reason: w.rejection?.reason ?? null,
  command_id: w.command_id,
});

/**
 * Records how a case command ended, as part of its message's work (so a crash cannot lose it). Not
 * for a message refused for reusing a key: its command id may be the first message's, whose result stands.
 */
const recordCommandResult =
  (ports: PipelinePorts, trace: MessageTrace | undefined) =>
  (c: Completion): Observable<Completion> => {
    const command_id = c.command_id;
    if (command_id === null || isKeyReused(c.reason)) return of(c);
    const recorded = inStepSpan(trace, 'command result', () => ports.commandResults.record(c), {
      attributes: () => ({ [COMMAND_ID]: command_id, [OUTCOME]: c.outcome }),
    });
    return afterDone(recorded, c);
  };

/** Keeps the raw message, except one refused for reusing a key: its raw copy's id is the first message's. */
const keepRawUnlessKeyReused = (ports: PipelinePorts): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => (isKeyReused(w.rejection?.reason ?? null) ? of(w) : of(w).pipe(recordRawEvent(ports.rawEvents))));

/**
 * The state a decision starts from: what the actor remembers; for a new case, an empty one
 * without a read (a redelivery finds its events stored and comes back through a conflict);
 * otherwise null, which makes loadCaseState read the stream.
 */
const initialState = (d: DecodedRecord, memo: ActorMemo<CaseState>, reload: boolean): CaseState | null => {
  if (d.kind !== 'command' || reload) return null;
  if (memo.state) return memo.state;
  return d.command.command_type === 'CreateCase' ? emptyCase(d.command.case_id) : null;
};

/**
 * Everything one message does inside its case actor: decide and append (deciding again on a fresh
 * view of the case after a version conflict), then, at the same time, project and publish
 * notifications, dead-letter a rejection and keep the raw message. Infrastructure failures retry
 * the whole message with backoff; every step is idempotent, so a retry redoes nothing twice. The
 * actor's memory is updated only once the message is complete. With tracing on, it all runs in
 * the message's span, each step's port call in a child span of its own (a retry's too).
 */
export const handleMessage =
  (ports: PipelinePorts, options: HandlerOptions) =>
  (d: DecodedRecord, memo: ActorMemo<CaseState>): Observable<Completion> => {
    /** The decision, on the stored stream when `reload`, else on what the actor remembers. */
    const decided = (reload: boolean): Observable<CaseWork> =>
      defer(() => {
        const remembered = initialState(d, memo, reload);
        return of(startWork(d, remembered)).pipe(
          loadCaseState(ports.eventStore),
          lookUpRule(ports.rules),
          decideEvents(options.maxNotesPerDocument),
          concatMap((w) => {
            // A command refused on what the actor remembers is decided again on the stored stream:
            // after a rebalance another instance may have moved the case on (e.g. determined the
            // document the command names). An accepted decision needs no such check: its append
            // meets a version conflict when the memory was stale.
            if (w.rejection === null || w.command === null || remembered === null || remembered.version === 0) return of(w);
            memo.state = undefined;
            return decided(true);
          }),
        );
      });
    const decideAndAppend = (attempt: number): Observable<CaseWork> =>
      decided(attempt > 0).pipe(
        appendEvents(ports.eventStore),
        catchError((error: unknown) => {
          if (!(error instanceof VersionConflict)) return throwError(() => error);
          memo.state = undefined;
          return attempt < options.maxConflictRetries ? decideAndAppend(attempt + 1) : throwError(() => error);
        }),
      );
    const retrying = retryWithBackoff<Completion>({
      initialMs: options.retryInitialMs,
      maxMs: options.retryMaxMs,
      isFatal: (error) => error instanceof UnstorableInput,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      ...(options.scheduler ? { scheduler: options.scheduler } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    /**
     * Data the database will never accept: dead-lettered, so it cannot block its case forever. If
     * even the raw copy is refused, the dead-letter topic alone keeps the message.
     */
    const refuse = (error: UnstorableInput): Observable<Completion> => {
      memo.state = undefined;
      const work = { ...startWork(d, null), rejection: rejection(`the message could not be stored: ${error.message}`) };
      const keepRaw = (w: CaseWork): Observable<CaseWork> =>
        of(w).pipe(
          recordRawEvent(ports.rawEvents),
          catchError((again: unknown) => (again instanceof UnstorableInput ? of(w) : throwError(() => again))),
        );
      return of(work).pipe(
        deadLetter(ports.deadLetters),
        concatMap(keepRaw),
        map(completionOf),
        concatMap(recordCommandResult(ports, d.trace)),
        retrying,
      );
    };
    // Once the events are stored, the effects that do not depend on each other go at once, so a
    // message waits for the slowest of them rather than for their sum. Notifications still follow
    // the read models: whoever reacts to one may read the case straight away.
    const effects = decideAndAppend(0).pipe(
      concurrently(
        pipe(projectReadModels(ports.readModels), publishNotifications(ports.notifications)),
        recordLookupFailure(ports.lookupFailures),
        deadLetter(ports.deadLetters),
        keepRawUnlessKeyReused(ports),
      ),
    );
    const handling = effects.pipe(
      tap((w) => {
        if (w.rejection === null && w.state) memo.state = w.state;
      }),
      map(completionOf),
      concatMap(recordCommandResult(ports, d.trace)),
      retrying,
      catchError((error: unknown) => (error instanceof UnstorableInput ? refuse(error) : throwError(() => error))),
    );
    return traceHandling(d.trace, handling);
  };
