import * as E from 'fp-ts/lib/Either.js';
import type { RetryNotificationLookup } from './caseCommand.js';
import type { CaseState } from './caseState.js';
import { eventMetadata, type CommandContext, type CreateCase } from './commands.js';
import type { TraitementType } from './clientMessage.js';
import { unknownCase } from './decideDocumentCommands.js';
import { idsFor, type MessageIds } from './deterministicId.js';
import type { EventMetadata, NotificationProvenance, NotificationRequired } from './events.js';
import type { FoundRule } from './notificationRule.js';
import type { Rejection } from './rejection.js';

/**
 * What a notification needs to know about a new case. It comes from the CreateCase command in the
 * pipeline, or from the case's state when a failed rule lookup is retried later; both give the
 * same notification, with the same id.
 */
export interface NotificationSubject {
  /** The idempotency key of the message that created the case: the notification's id is one of its ids. */
  readonly creation_key: string;
  readonly case_id: string;
  readonly client_id: string;
  readonly case_type: string;
  readonly traitement_type: TraitementType;
  readonly first_person: { readonly firstname: string; readonly lastname: string } | null;
}

const subjectOf = (s: CreateCase | NotificationSubject): NotificationSubject =>
  'message' in s
    ? {
        creation_key: s.key,
        case_id: s.case_id,
        client_id: s.message.client_id,
        case_type: s.message.type,
        traitement_type: s.message.traitement_type,
        first_person: s.message.persons[0] ?? null,
      }
    : s;

/** The subject of a stored case, from its state; null when the case does not exist. */
export const notificationSubjectOf = (state: CaseState): NotificationSubject | null =>
  state.facts === null || state.creation === null
    ? null
    : {
        creation_key: state.creation.key,
        case_id: state.case_id,
        client_id: state.facts.client_id,
        case_type: state.facts.case_type,
        traitement_type: state.facts.traitement_type,
        first_person: state.creation.first_person,
      };

/** The trigger a new case raises: `CASE_CREATED_<KYC|KYB>_<CASE TYPE>`, upper-cased, `-` as `_`. */
export const caseCreatedTrigger = (case_: CreateCase | NotificationSubject): string => {
  const s = subjectOf(case_);
  return `CASE_CREATED_${s.traitement_type}_${s.case_type}`.toUpperCase().replace(/-/g, '_');
};

/** What the Configuration Service is told about the case when asked for a rule. */
export const ruleContext = (case_: CreateCase | NotificationSubject) => {
  const s = subjectOf(case_);
  return { case_id: s.case_id, client_id: s.client_id, traitement_type: s.traitement_type, case_type: s.case_type };
};

/**
 * The id of a case's notification, one of the ids of the message that created the case (`creation`).
 * A case raises one trigger, fixed by that message, so the trigger is not among its parts.
 */
export const notificationId = (creation: MessageIds): string => creation.of('notification');

/** Why the notification is sent: the found rule, and `retry` when a retried lookup found it. */
const provenanceOf = (s: NotificationSubject, found: FoundRule, retried: boolean): NotificationProvenance => ({
  trigger: caseCreatedTrigger(s),
  rule_id: found.rule.rule_id,
  rule_version: found.rule.version ?? null,
  source: retried ? 'retry' : found.source,
  answer_source: found.source,
  fetched_at: found.fetched_at,
});

const notificationEvent = (
  s: NotificationSubject,
  creation: MessageIds,
  found: FoundRule,
  retried: boolean,
  afterVersion: number,
  timestamp: Date,
  metadata: EventMetadata,
): NotificationRequired => {
  const { rule } = found;
  const first = s.first_person;
  return {
    event_id: notificationId(creation),
    event_type: 'NotificationRequired',
    aggregate_id: s.case_id,
    timestamp,
    version: afterVersion + 1,
    payload: {
      notification_type: rule.notification_type,
      recipient_details: {
        case_id: s.case_id,
        client_id: s.client_id,
        ...(first ? { primary_contact_name: `${first.firstname} ${first.lastname}` } : {}),
      },
      template_id: rule.template_id,
      language_code: rule.language_code,
      context_data: {
        case_id: s.case_id,
        client_name: first?.firstname || 'N/A',
        case_type: s.case_type,
        traitement_type: s.traitement_type,
      },
      provenance: provenanceOf(s, found, retried),
    },
    metadata,
  };
};

/**
 * The NotificationRequired event an active rule asks for, appended after the case's last version,
 * with the rule and where its answer came from as provenance. Its id depends on the message and
 * trigger only, so it is recorded once however often it is decided (a redelivery may find the rule
 * elsewhere: the stored event keeps the provenance of the decision that recorded it).
 */
export const decideNotification = (cmd: CreateCase, found: FoundRule, afterVersion: number): NotificationRequired =>
  notificationEvent(subjectOf(cmd), cmd.ids, found, false, afterVersion, cmd.timestamp, eventMetadata(cmd));

/** What retrying a case's failed rule lookup comes to, before the rule is known. */
export type NotificationRetry =
  | { readonly kind: 'unknown-case' }
  /** The trigger is not the one the case raised: none of its rules can concern the case. */
  | { readonly kind: 'other-trigger' }
  /** The case recorded the notification, `event_id`, already. */
  | { readonly kind: 'already-notified'; readonly event_id: string }
  /** The rule must be asked for, about this case; `creation` are the ids of the message that created it. */
  | { readonly kind: 'ask'; readonly subject: NotificationSubject; readonly creation: MessageIds };

export const notificationRetry = (state: CaseState, cmd: Pick<RetryNotificationLookup, 'trigger'>): NotificationRetry => {
  const subject = notificationSubjectOf(state);
  if (subject === null) return { kind: 'unknown-case' };
  if (caseCreatedTrigger(subject) !== cmd.trigger) return { kind: 'other-trigger' };
  const creation = idsFor(subject.creation_key);
  const event_id = notificationId(creation);
  return state.notificationVersions.has(event_id) ? { kind: 'already-notified', event_id } : { kind: 'ask', subject, creation };
};

/**
 * A retried rule lookup: the notification the case's creation would have recorded had the rule
 * been known then (same id, same payload but for its provenance: source `retry`, and where the
 * retry's answer came from as `answer_source`), unless the case has it already; nothing without a
 * rule or for another trigger; refused for a case that does not exist. The event is the retry's
 * (its time, the retry command as its cause) but keeps the creation's key and content hash, which
 * its id derives from: a redelivered creation then finds it stored as the same notification.
 */
export const decideNotificationRetry = (
  state: CaseState,
  cmd: RetryNotificationLookup & CommandContext,
  found: FoundRule | null,
): E.Either<Rejection, NotificationRequired[]> => {
  const retry = notificationRetry(state, cmd);
  if (retry.kind === 'unknown-case') return E.left(unknownCase(cmd.case_id));
  if (retry.kind !== 'ask' || found === null) return E.right([]);
  const key = retry.subject.creation_key;
  const metadata = eventMetadata({ key, command_id: cmd.command_id, content_hash: state.recordedKeys.get(key)?.hash });
  return E.right([notificationEvent(retry.subject, retry.creation, found, true, state.version, cmd.timestamp, metadata)]);
};
