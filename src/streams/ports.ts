import type { Observable } from 'rxjs';
import type { ErasureSubject } from '../domain/caseCommand.js';
import type { CaseState } from '../domain/caseState.js';
import type { DomainEvent, NotificationRequired } from '../domain/events.js';
import type { RecordedNotification } from '../domain/notificationRequeue.js';
import type { FoundRule } from '../domain/notificationRule.js';
import type { ReadModelWrite } from '../domain/projections.js';
import type { Rejection } from '../domain/rejection.js';
import type { InboundRecord, RecordPosition } from './records.js';

/**
 * What the pipeline needs from the outside world. Every port returns a cold Observable so that
 * marble tests can drive it with virtual time; the adapters in src/infra wrap Promise clients
 * with `defer`. Ports may batch many concurrent calls into one round trip (they see calls from
 * many case actors at once); each call still completes only when its own work is durable.
 */

/** How one message ended: what the offset ledger, metrics and logs need. */
export interface Completion {
  readonly position: RecordPosition;
  readonly outcome: 'processed' | 'rejected';
  readonly case_id: string | null;
  readonly event_ids: readonly string[];
  readonly reason: string | null;
  /** The case command's id (command topic only), so that its result can be looked up. */
  readonly command_id: string | null;
}

/** The events were decided on a stale view of the case: another event holds one of their versions. */
export class VersionConflict extends Error {
  constructor(
    readonly aggregate_id: string,
    readonly version: number,
  ) {
    super(`version ${version} of ${aggregate_id} is taken by another event`);
    this.name = 'VersionConflict';
  }
}

export type AppendResult =
  /** Every event is stored; `duplicates` were already there (a redelivery). */
  | { readonly kind: 'appended'; readonly duplicates: number }
  /** A version of some aggregate is taken by a different event: the decision was made on stale state. */
  | { readonly kind: 'conflict'; readonly aggregate_id: string; readonly version: number }
  /**
   * An event_id is stored with another content hash: the message's idempotency key was used
   * before for different content. Nothing of the append stays stored.
   */
  | { readonly kind: 'key-reused' };

export interface EventStore {
  /**
   * Appends events; idempotent per event_id; errors only on infrastructure failures. `state` is
   * their case's state once they are stored (the fold of its stream up to its version): the store
   * may keep it to load the case without reading its whole stream, but only when this call stored
   * every one of the events (not for a redelivery, a conflict or a reused key).
   */
  append(events: readonly DomainEvent[], state?: CaseState): Observable<AppendResult>;
  /**
   * A case's state: the fold of its stored events in version order (an empty case when it has
   * none), whatever states earlier appends carried. Each load gets a state of its own.
   */
  load(case_id: string): Observable<CaseState>;
  /**
   * The stored events of a stream from version `first` to `last` (to its end when absent), in version
   * order, up to the first version not stored: what a redelivered message recorded, to re-project
   * as stored. Cheap per event read, never a scan of the store.
   */
  eventsAt(aggregate_id: string, first: number, last?: number): Observable<DomainEvent[]>;
}

export interface ReadModelApplyOptions {
  /**
   * The writes project events that this caller has just stored, so no write of theirs was ever
   * applied (a case is handled by one instance at a time): a store that checks guards against the
   * documents it reads first may skip that read.
   */
  readonly firstTime?: boolean;
}

export interface ReadModelStore {
  /** Applies idempotent read-model writes in order. */
  apply(writes: readonly ReadModelWrite[], options?: ReadModelApplyOptions): Observable<void>;
}

export type RuleAnswer =
  /** A rule applies; `layer` is the cache layer that answered a cached or stale answer (null when fresh). */
  | ({ readonly kind: 'rule'; readonly layer: 'memory' | 'redis' | null } & FoundRule)
  | { readonly kind: 'no-rule' }
  /** The service could not answer and nothing was cached: remembered for a later retry. */
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface RuleLookup {
  /** Which rule applies to a trigger; never errors (failures are an answer). */
  ruleFor(trigger: string, context: Readonly<Record<string, unknown>>): Observable<RuleAnswer>;
}

export interface NotificationPublisher {
  /** Publishes to the notification topic (key = case id) and records the acknowledgement. */
  publish(events: readonly NotificationRequired[]): Observable<void>;
}

/**
 * The notifications waiting for Kafka's acknowledgement, kept beside the events: an append puts its
 * notifications there, and the outbox relay publishes whatever stays.
 */
export interface NotificationOutbox {
  /**
   * Makes sure each of these stored notifications is waiting in the outbox, due at the relay's next
   * pass (no fast path publishes it): a redelivered message whose notification a crash may have left
   * without an entry. An entry already there stays as it is; errors only on infrastructure failures.
   */
  requeue(notifications: readonly RecordedNotification[]): Observable<void>;
}

export interface DeadLetterSink {
  send(record: InboundRecord, why: Rejection): Observable<void>;
}

/**
 * A port's refusal that retrying cannot change: the server will never store this data. The
 * message is dead-lettered instead of blocking its case (and its partition's commits) forever.
 */
export class UnstorableInput extends Error {
  override readonly name = 'UnstorableInput';
}

export interface RawEventEntry {
  readonly id: string;
  /** The message as parsed; its JSON text when it cannot be stored as a document. */
  readonly payload: Readonly<Record<string, unknown>> | string;
  readonly received_at: Date;
  readonly status: 'processed' | 'rejected';
  readonly error?: Rejection;
}

export interface RawEventLog {
  /** Keeps a client message as received, with how it ended; idempotent per id. */
  record(entry: RawEventEntry): Observable<void>;
}

export interface LookupFailure {
  readonly case_id: string;
  readonly trigger: string;
  readonly reason: string;
  readonly failed_at: Date;
}

/** How a retried lookup ended for good (a retry that failed again is recorded as a failure). */
export type LookupRetryEnd =
  | { readonly outcome: 'notified'; readonly event_id: string }
  /** No rule applies; the case had the notification already; the trigger is not the case's. */
  | { readonly outcome: 'no-rule' | 'already-notified' | 'other-trigger' };

export type LookupResolution = LookupRetryEnd & {
  readonly case_id: string;
  readonly trigger: string;
  readonly resolved_at: Date;
};

export interface LookupFailureLog {
  /** Remembers that no rule could be had for a case, so that `notifications retry` can ask again. */
  record(failure: LookupFailure): Observable<void>;
  /** Closes the open failure of a case and trigger that a retry ended; a closed one stays as it was. */
  resolve(resolution: LookupResolution): Observable<void>;
}

export interface CommandResultLog {
  /** Records how a case command ended (processed with its event ids, or rejected with the reason). */
  record(completion: Completion): Observable<void>;
}

/** An erasure of one data subject's personal data, as the stores need it (see personalData.ts). */
export interface Erasure {
  readonly case_id: string;
  /** The case's company, whose stream holds its persons' links and its beneficial owners; null for KYC. */
  readonly company_id: string | null;
  readonly subject: ErasureSubject;
  /** The ids of the raw copies of the case's messages. */
  readonly raw_ids: readonly string[];
  /** The case's version once the erasure is recorded: a snapshot of the case older than this may still name the subject. */
  readonly version: number;
}

/** A case's raw copies put under legal hold, or released from it. */
export interface RawCopyHold {
  readonly case_id: string;
  readonly raw_ids: readonly string[];
  readonly held: boolean;
}

/**
 * Personal data outside the case stream: a company's beneficial owners, the masking of an erased
 * subject everywhere, and the retention of a held case's raw copies.
 */
export interface PersonalDataStore {
  /** The ids of the beneficial owners a company's stream holds. */
  beneficialOwners(company_id: string): Observable<ReadonlySet<string>>;
  /** Masks the subject's personal data in every store casestream controls; idempotent, so a rerun finishes an interrupted one. */
  erase(erasure: Erasure): Observable<void>;
  /** Keeps the raw copies from expiring while held, and lets them expire again once released; idempotent. */
  holdRawCopies(hold: RawCopyHold): Observable<void>;
}

export interface PipelinePorts {
  readonly eventStore: EventStore;
  readonly readModels: ReadModelStore;
  readonly rules: RuleLookup;
  readonly notifications: NotificationPublisher;
  readonly outbox: NotificationOutbox;
  readonly deadLetters: DeadLetterSink;
  readonly rawEvents: RawEventLog;
  readonly lookupFailures: LookupFailureLog;
  readonly commandResults: CommandResultLog;
  readonly personalData: PersonalDataStore;
}
