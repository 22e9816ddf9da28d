import { Observable, of, type Observer, type SchedulerLike, type Subscriber } from 'rxjs';
import { emptyCase, type CaseState } from '../domain/caseState.js';
import { afterDone } from '../operators/afterDone.js';
import { appendEvents } from './steps/appendEvents.js';
import { startWork, type CaseWork } from './steps/caseWork.js';
import { concurrently } from '../operators/concurrently.js';
import { deadLetter } from './steps/deadLetter.js';
import { erasePersonalData } from './steps/erasePersonalData.js';
import type { DecodedRecord } from './steps/decodeRecord.js';
import { decideEvents } from './steps/decideEvents.js';
import { loadCaseState } from './steps/loadCaseState.js';
import { holdRawCopies } from './steps/holdRawCopies.js';
import { lookUpBeneficialOwners } from './steps/lookUpBeneficialOwners.js';
import { lookUpRule } from './steps/lookUpRule.js';
import type { ActorMemo } from '../operators/perCaseActor.js';
import { projectReadModels } from './steps/projectReadModels.js';
import { publishNotifications } from './steps/publishNotifications.js';
import { recordLookupFailure } from './steps/recordLookupFailure.js';
import { recordRawEvent } from './steps/recordRawEvent.js';
import { reprojectRecorded } from './steps/reprojectRecorded.js';
import { requeueNotifications } from './steps/requeueNotifications.js';
import { Backoff, retriedWithBackoff, type BackoffOptions } from '../operators/retryWithBackoff.js';
import { andThen, inOrder, recover, runStep, runWork, waits, type Step, type StepResult } from '../operators/steps.js';
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
const recordCommandResult = (ports: PipelinePorts, trace: MessageTrace | undefined, c: Completion): StepResult<Completion> => {
  const command_id = c.command_id;
  if (command_id === null || isKeyReused(c.reason)) return c;
  const recorded = inStepSpan(trace, 'command result', () => ports.commandResults.record(c), {
    attributes: () => ({ [COMMAND_ID]: command_id, [OUTCOME]: c.outcome }),
  });
  return afterDone(recorded, c);
};

/**
 * The state a decision starts from: what the actor remembers; for a new case, an empty one
 * without a read (a redelivery finds its events stored, and is decided again on the stored stream:
 * see MessageRun.storedAlready); otherwise null, which makes loadCaseState read the stream.
 */
const initialState = (d: DecodedRecord, memo: ActorMemo<CaseState>, reload: boolean): CaseState | null => {
  if (d.kind !== 'command' || reload) return null;
  if (memo.state) return memo.state;
  return d.command.command_type === 'CreateCase' ? emptyCase(d.command.case_id) : null;
};

/** The steps of a message, built once per pipeline, and what its run needs besides. */
interface MessageSteps {
  /** Up to the decision, then from the append on; between them, the check of a refusal on the actor's memory. */
  readonly decision: readonly Step<CaseWork>[];
  readonly afterDecision: readonly Step<CaseWork>[];
  readonly ports: PipelinePorts;
  readonly maxConflictRetries: number;
  readonly backoff: BackoffOptions;
  /** What a message the database refuses for good comes to instead (see handleMessage). */
  readonly refuse: (d: DecodedRecord, memo: ActorMemo<CaseState>, error: UnstorableInput) => StepResult<Completion>;
}

/**
 * One message's run, from its decision to its completion: the steps run one after the other,
 * straight through while they answer at once; when one waits (a port's call), this object observes
 * what it waits for and goes on from there. One object per message, where an operator or a chained
 * Observable per step costs several subscriptions and objects per step (issue 20). A version
 * conflict decides again on the stored stream, up to maxConflictRetries times; an infrastructure
 * failure runs the message again after a backoff (every step is idempotent); a refusal for good
 * hands it to `refuse`.
 */
class MessageRun implements Observer<CaseWork> {
  private stage = 0;
  private conflicts = 0;
  private remembered: CaseState | null = null;
  private answer: CaseWork | undefined;
  private backoff: Backoff | undefined;

  constructor(
    private readonly steps: MessageSteps,
    private readonly d: DecodedRecord,
    private readonly memo: ActorMemo<CaseState>,
    private readonly subscriber: Subscriber<Completion>,
  ) {}

  /** The decision, on the stored stream when `reload`, else on what the actor remembers. */
  decide(reload: boolean): void {
    this.remembered = initialState(this.d, this.memo, reload);
    this.stage = 0;
    this.goOn(startWork(this.d, this.remembered));
  }

  private goOn(work: CaseWork): void {
    const { decision, afterDecision } = this.steps;
    let w = work;
    for (;;) {
      const stage = this.stage++;
      if (stage === decision.length && this.refusedOnMemory(w)) {
        this.memo.state = undefined;
        return this.decide(true);
      }
      // right after the append, the first step after the decision
      if (stage === decision.length + 1 && this.storedAlready(w)) {
        this.memo.state = undefined;
        return this.decide(true);
      }
      const step = stage < decision.length ? decision[stage] : afterDecision[stage - decision.length];
      if (step === undefined) return this.finish(w);
      let result: StepResult<CaseWork>;
      try {
        result = step(w);
      } catch (error) {
        return this.error(error);
      }
      if (!waits(result)) {
        w = result;
        continue;
      }
      this.answer = undefined;
      return runWork(result, this, this.subscriber);
    }
  }

  /**
   * A command refused on what the actor remembers is decided again on the stored stream: after a
   * rebalance another instance may have moved the case on (e.g. determined the document the
   * command names). An accepted decision needs no such check: its append meets a version conflict
   * when the memory was stale.
   */
  private refusedOnMemory(w: CaseWork): boolean {
    return w.rejection !== null && w.command !== null && this.remembered !== null && this.remembered.version > 0;
  }

  /**
   * A creation decided on an assumed-empty case (the actor forgot it, nothing was read) whose append
   * found events stored: a redelivery, decided again on the stored stream so that it re-applies what
   * its first delivery stored (recordedRanges, notificationsToRequeue) rather than what it decided
   * now, which may lack the notification (no rule now) or place it at another version than stored.
   * The append stored what a crash may have left out of the first one; nothing else of it is used.
   */
  private storedAlready(w: CaseWork): boolean {
    return w.duplicates > 0 && this.remembered !== null && this.remembered.version === 0;
  }

  private finish(w: CaseWork): void {
    if (w.rejection === null && w.state) this.memo.state = w.state;
    const completion = completionOf(w);
    let recorded: StepResult<Completion>;
    try {
      recorded = recordCommandResult(this.steps.ports, this.d.trace, completion);
    } catch (error) {
      return this.error(error);
    }
    if (!waits(recorded)) return this.completeWith(recorded);
    // Its failure is the message's, to retry like any other; its value is the completion.
    runWork(
      recorded,
      { next: () => undefined, error: (error: unknown) => this.error(error), complete: () => this.completeWith(completion) },
      this.subscriber,
    );
  }

  private completeWith(completion: Completion): void {
    this.subscriber.next(completion);
    this.subscriber.complete();
  }

  next(w: CaseWork): void {
    this.answer = w;
  }

  complete(): void {
    // A step whose Observable ended without a value ends the message there, with nothing.
    if (this.answer === undefined) return this.subscriber.complete();
    this.goOn(this.answer);
  }

  error(error: unknown): void {
    if (error instanceof VersionConflict && this.conflicts < this.steps.maxConflictRetries) {
      this.conflicts += 1;
      this.memo.state = undefined;
      return this.decide(true);
    }
    this.backoff ??= new Backoff(this.steps.backoff);
    const again = (): void => {
      this.conflicts = 0;
      this.decide(false);
    };
    if (this.backoff.retry(error, false, this.subscriber, again)) return;
    if (error instanceof UnstorableInput) runWork(this.steps.refuse(this.d, this.memo, error), this.subscriber, this.subscriber);
    else this.subscriber.error(error);
  }
}

/**
 * Everything one message does inside its case actor: decide and append (deciding again on a fresh
 * view of the case after a version conflict), then, at the same time, project and publish
 * notifications (a redelivery re-projects the events it recorded and re-queues their notifications
 * instead), dead-letter a rejection and keep the raw message. Infrastructure failures retry the
 * whole message with backoff; every step is idempotent, so a retry redoes nothing twice. The
 * actor's memory is updated only once the message is complete. With tracing on, it all runs in the message's span, each step's port call in a child
 * span of its own (a retry's too).
 */
export const handleMessage = (ports: PipelinePorts, options: HandlerOptions) => {
  const load = loadCaseState(ports.eventStore);
  // Only a case the actor does not know is read; the check here spares every other message the operator.
  const loadUnknown: Step<CaseWork> = (w) => (w.state === null && w.command !== null ? of(w).pipe(load) : w);
  const sendDeadLetter = deadLetter(ports.deadLetters);
  const keepRaw = recordRawEvent(ports.rawEvents);
  const backoff: BackoffOptions = {
    initialMs: options.retryInitialMs,
    maxMs: options.retryMaxMs,
    isFatal: (error) => error instanceof UnstorableInput,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.random ? { random: options.random } : {}),
  };
  const steps: MessageSteps = {
    decision: [loadUnknown, lookUpRule(ports.rules), lookUpBeneficialOwners(ports.personalData), decideEvents(options.maxNotesPerDocument)],
    afterDecision: [
      appendEvents(ports.eventStore),
      // Once the events are stored, the effects that do not depend on each other go at once, so a
      // message waits for the slowest of them rather than for their sum. Notifications still follow
      // the read models: whoever reacts to one may read the case straight away.
      concurrently(
        // A redelivery's stored events and notifications (it publishes nothing itself) follow its
        // read models too: the relay publishes a re-queued notification once the case reads right.
        inOrder(
          projectReadModels(ports.readModels),
          reprojectRecorded(ports.eventStore, ports.readModels),
          publishNotifications(ports.notifications),
          requeueNotifications(ports.outbox),
        ),
        recordLookupFailure(ports.lookupFailures),
        sendDeadLetter,
        // Not for a message refused for reusing a key: its raw copy's id is the first message's.
        (w: CaseWork) => (isKeyReused(w.rejection?.reason ?? null) ? w : keepRaw(w)),
      ),
      // After the read models are projected, so that the masking has the last word on them.
      erasePersonalData(ports.personalData),
      holdRawCopies(ports.personalData),
    ],
    ports,
    maxConflictRetries: options.maxConflictRetries,
    backoff,
    /**
     * Data the database will never accept: dead-lettered, so it cannot block its case forever. If
     * even the raw copy is refused, the dead-letter topic alone keeps the message.
     */
    refuse: (d, memo, error) => {
      memo.state = undefined;
      const work = { ...startWork(d, null), rejection: rejection(`the message could not be stored: ${error.message}`) };
      const keepRawIfStorable = (w: CaseWork): StepResult<CaseWork> =>
        recover(
          runStep(() => keepRaw(w)),
          (again) => {
            if (again instanceof UnstorableInput) return w;
            throw again;
          },
        );
      const complete = (w: CaseWork) => recordCommandResult(ports, d.trace, completionOf(w));
      return retriedWithBackoff(() => andThen(andThen(sendDeadLetter(work), keepRawIfStorable), complete), backoff);
    },
  };
  return (d: DecodedRecord, memo: ActorMemo<CaseState>): Observable<Completion> =>
    traceHandling(d.trace, new Observable<Completion>((subscriber) => new MessageRun(steps, d, memo, subscriber).decide(false)));
};
