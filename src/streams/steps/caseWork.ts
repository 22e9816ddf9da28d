import type { CaseState } from '../../domain/caseState.js';
import type { Command } from '../../domain/commands.js';
import type { DomainEvent } from '../../domain/events.js';
import type { RecordedNotification } from '../../domain/notificationRequeue.js';
import type { StoredRange } from '../../domain/redelivery.js';
import type { Rejection } from '../../domain/rejection.js';
import type { RuleAnswer } from '../ports.js';
import type { InboundRecord } from '../records.js';
import type { DecodedRecord } from './decodeRecord.js';
import type { MessageTrace } from '../tracing/messageTrace.js';

/** One message on its way through its case actor; each operator fills in a part of it. */
export interface CaseWork {
  readonly record: InboundRecord;
  /** The client message as parsed, for raw_events; null for case commands and unparsable values. */
  readonly raw: Record<string, unknown> | null;
  /** Null when the message was rejected before it became a command. */
  readonly command: Command | null;
  /** The case as last known; null means "load it from the event store". */
  readonly state: CaseState | null;
  /**
   * The state was read from the event store for this message: the case actors did not remember the
   * case (after a restart, a rebalance or its eviction), as after any crash.
   */
  readonly loaded: boolean;
  readonly rule: RuleAnswer | null;
  /** The events decided for this message (empty until decided, or when there is nothing to record). */
  readonly events: readonly DomainEvent[];
  readonly rejection: Rejection | null;
  /** How many of the events were already stored (a redelivery). */
  readonly duplicates: number;
  /** Recorded notifications this message puts back in the outbox (a redelivery's, see notificationsToRequeue). */
  readonly requeue: readonly RecordedNotification[];
  /** Where the events a redelivered message recorded are stored, to re-project them (see recordedRanges). */
  readonly reproject: readonly StoredRange[];
  /** The id of the case command this message carries, whose result is recorded; null for client data. */
  readonly command_id: string | null;
  /** The ids of the case company's beneficial owners, looked up for an erasure of one (lookUpBeneficialOwners). */
  readonly beneficialOwners?: ReadonlySet<string>;
  /** The message's span, when tracing is on: each step's span is its child. */
  readonly trace?: MessageTrace;
}

const NONE: readonly RecordedNotification[] = [];
const NOWHERE: readonly StoredRange[] = [];

/** Starts the work for a decoded record, with the case state the actor remembers (or null). */
export const startWork = (d: DecodedRecord, state: CaseState | null): CaseWork => ({
  record: d.record,
  raw: d.raw,
  command: d.kind === 'command' ? d.command : null,
  state,
  loaded: false,
  rule: null,
  events: [],
  rejection: d.kind === 'rejected' ? d.rejection : null,
  duplicates: 0,
  requeue: NONE,
  reproject: NOWHERE,
  command_id: d.kind === 'rejected' ? d.command_id : d.command.command_type === 'CreateCase' ? null : d.command.command_id,
  ...(d.trace === undefined ? {} : { trace: d.trace }),
});
