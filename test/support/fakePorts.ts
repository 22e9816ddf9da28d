import { defer, map, of, throwError, timer, type Observable } from 'rxjs';
import { emptyCase, evolveCase } from '../../src/domain/caseState.js';
import type { DomainEvent, NotificationRequired } from '../../src/domain/events.js';
import type { RecordedNotification } from '../../src/domain/notificationRequeue.js';
import type { Rejection } from '../../src/domain/rejection.js';
import type {
  AppendResult,
  Erasure,
  RawCopyHold,
  LookupFailure,
  LookupResolution,
  PipelinePorts,
  RawEventEntry,
  RuleAnswer,
} from '../../src/streams/ports.js';
import type { Completion } from '../../src/streams/ports.js';
import type { InboundRecord } from '../../src/streams/records.js';
import { inMemoryAppend } from './inMemoryAppend.js';
import { InMemoryReadModels } from './inMemoryReadModels.js';

/** How long (virtual ms) a fake takes for a call; 0 answers synchronously. */
export type Delay = number | ((events: readonly DomainEvent[]) => number);

const after = <T>(delay: number, value: () => T): Observable<T> => (delay === 0 ? defer(() => of(value())) : timer(delay).pipe(map(value)));

/** Of a stream's events in version order, those from `first` to `last` up to the first version missing: what eventsAt answers. */
export const storedRun = (stream: readonly DomainEvent[], first: number, last: number): DomainEvent[] => {
  const run: DomainEvent[] = [];
  for (const e of stream) {
    if (e.version < first) continue;
    if (e.version !== first + run.length || e.version > last) break;
    run.push(e);
  }
  return run;
};

/**
 * In-memory ports with the same idempotency rules as the real adapters (the store contracts in
 * test/contract hold them to it), and a log of what they saw.
 */
export class FakePorts {
  readonly events: DomainEvent[] = [];
  readonly readModels = new InMemoryReadModels();
  readonly published: NotificationRequired[] = [];
  /** The recorded notifications put back in the outbox, in order. */
  readonly requeued: RecordedNotification[] = [];
  /** The stored events read back (a redelivery's), by the ranges asked for, in order. */
  readonly eventsRead: { aggregate_id: string; first: number; last: number }[] = [];
  readonly deadLetters: { record: InboundRecord; why: Rejection }[] = [];
  readonly rawEvents = new Map<string, RawEventEntry>();
  readonly lookupFailures: LookupFailure[] = [];
  readonly lookupResolutions: LookupResolution[] = [];
  readonly commandResults: Completion[] = [];
  /** The erasures the masking was asked for, in order. */
  readonly erasures: Erasure[] = [];
  /** The raw-copy holds and releases asked for, in order. */
  readonly rawCopyHolds: RawCopyHold[] = [];
  /** Appends running right now, and the most seen at once. */
  activeAppends = 0;
  maxActiveAppends = 0;
  appendDelay: Delay = 0;
  /** How long (virtual ms) a read-model apply and a raw copy take. */
  readModelDelay = 0;
  rawDelay = 0;
  /** The virtual time at which each read-model apply, publish and raw copy completed, in order. */
  readonly effectLog: string[] = [];
  /** Reads the virtual clock for effectLog; set by tests that look at it. */
  now: () => number = () => 0;
  ruleAnswer: RuleAnswer = { kind: 'no-rule' };
  /** Fail the next N appends with an infrastructure error. */
  failNextAppends = 0;
  /** Refuse every append with this error (e.g. UnstorableInput). */
  refuseAppendsWith: Error | undefined;
  /** Refuse every raw_events write with this error. */
  refuseRawWith: Error | undefined;

  stream(aggregate_id: string): DomainEvent[] {
    return this.events.filter((e) => e.aggregate_id === aggregate_id).sort((a, b) => a.version - b.version);
  }

  private storeEvents(events: readonly DomainEvent[]): AppendResult {
    const { result, fresh } = inMemoryAppend(
      {
        byId: (event_id) => this.events.find((s) => s.event_id === event_id),
        at: (aggregate_id, version) => this.events.find((s) => s.aggregate_id === aggregate_id && s.version === version),
      },
      events,
    );
    this.events.push(...fresh);
    return result;
  }

  readonly ports: PipelinePorts = {
    eventStore: {
      append: (events) =>
        defer(() => {
          if (this.refuseAppendsWith) throw this.refuseAppendsWith;
          if (this.failNextAppends > 0) {
            this.failNextAppends -= 1;
            throw new Error('event store unavailable');
          }
          this.activeAppends += 1;
          this.maxActiveAppends = Math.max(this.maxActiveAppends, this.activeAppends);
          const delay = typeof this.appendDelay === 'function' ? this.appendDelay(events) : this.appendDelay;
          return after(delay, () => {
            this.activeAppends -= 1;
            return this.storeEvents(events);
          });
        }),
      load: (case_id) => defer(() => of(evolveCase(emptyCase(case_id), this.stream(case_id)))),
      eventsAt: (aggregate_id, first, last = Number.POSITIVE_INFINITY) =>
        defer(() => {
          this.eventsRead.push({ aggregate_id, first, last });
          return of(storedRun(this.stream(aggregate_id), first, last));
        }),
    },
    readModels: {
      apply: (writes) =>
        after(this.readModelDelay, () => {
          this.effectLog.push(`read models at ${this.now()}`);
          return this.readModels.apply(writes);
        }),
    },
    rules: { ruleFor: () => defer(() => of(this.ruleAnswer)) },
    notifications: {
      publish: (events) =>
        defer(() => {
          this.effectLog.push(`published at ${this.now()}`);
          return of(void this.published.push(...events));
        }),
    },
    outbox: { requeue: (notifications) => defer(() => of(void this.requeued.push(...notifications))) },
    deadLetters: { send: (record, why) => defer(() => of(void this.deadLetters.push({ record, why }))) },
    rawEvents: {
      record: (entry) =>
        defer(() =>
          this.refuseRawWith
            ? throwError(() => this.refuseRawWith)
            : after(this.rawDelay, () => {
                this.effectLog.push(`raw copy at ${this.now()}`);
                this.rawEvents.set(entry.id, entry);
              }),
        ),
    },
    lookupFailures: {
      record: (failure) => defer(() => of(void this.lookupFailures.push(failure))),
      resolve: (resolution) => defer(() => of(void this.lookupResolutions.push(resolution))),
    },
    commandResults: { record: (completion) => defer(() => of(void this.commandResults.push(completion))) },
    personalData: {
      beneficialOwners: (company_id) =>
        defer(() =>
          of(
            new Set(
              this.stream(company_id).flatMap((e) => (e.event_type === 'BeneficialOwnerAdded' ? [e.payload.beneficial_owner_id] : [])),
            ),
          ),
        ),
      erase: (erasure) => defer(() => of(void this.erasures.push(erasure))),
      holdRawCopies: (hold) => defer(() => of(void this.rawCopyHolds.push(hold))),
    },
  };
}
