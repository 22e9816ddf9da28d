import { eventMetadata, type CreateCase } from './commands.js';
import type { TraitementType } from './clientMessage.js';
import { idFor } from './deterministicId.js';
import { isEventOf, type DomainEvent, type NotificationRequired } from './events.js';
import type { NotificationRule } from './notificationRule.js';

/**
 * What a notification needs to know about a new case. It comes from the CreateCase command in the
 * pipeline, or from the case's stored events when a failed rule lookup is retried later; both give
 * the same event, with the same id.
 */
export interface NotificationSubject {
  readonly key: string;
  /** The content the key stands for; undefined when the case's events were stored without one. */
  readonly content_hash: string | undefined;
  readonly command_id: string;
  readonly case_id: string;
  readonly client_id: string;
  readonly case_type: string;
  readonly traitement_type: TraitementType;
  readonly first_person: { readonly firstname: string; readonly lastname: string } | null;
  readonly timestamp: Date;
}

const subjectOf = (s: CreateCase | NotificationSubject): NotificationSubject =>
  'message' in s
    ? {
        key: s.key,
        content_hash: s.content_hash,
        command_id: s.command_id,
        case_id: s.case_id,
        client_id: s.message.client_id,
        case_type: s.message.type,
        traitement_type: s.message.traitement_type,
        first_person: s.message.persons[0] ?? null,
        timestamp: s.timestamp,
      }
    : s;

/** The subject of a stored case: from its CaseCreated event and first person; null if it has none. */
export const notificationSubjectFromHistory = (events: readonly DomainEvent[]): NotificationSubject | null => {
  const created = events.find(isEventOf('CaseCreated'));
  if (!created) return null;
  const first = events.filter(isEventOf('PersonAddedToCase')).sort((a, b) => a.version - b.version)[0];
  return {
    key: created.metadata.correlation_id,
    content_hash: created.metadata.content_hash,
    command_id: created.metadata.causation_id,
    case_id: created.aggregate_id,
    client_id: created.payload.client_id,
    case_type: created.payload.case_type,
    traitement_type: created.payload.traitement_type,
    first_person: first ? { firstname: first.payload.firstname, lastname: first.payload.lastname } : null,
    timestamp: created.timestamp,
  };
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
 * The NotificationRequired event an active rule asks for, appended after the case's last version.
 * Its id depends on the message and trigger only, so it is recorded once however often it is decided.
 */
export const decideNotification = (
  case_: CreateCase | NotificationSubject,
  rule: NotificationRule,
  afterVersion: number,
): NotificationRequired => {
  const s = subjectOf(case_);
  const first = s.first_person;
  return {
    event_id: idFor(s.key, 'notification', caseCreatedTrigger(s)),
    event_type: 'NotificationRequired',
    aggregate_id: s.case_id,
    timestamp: s.timestamp,
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
    },
    metadata: eventMetadata(s),
  };
};
