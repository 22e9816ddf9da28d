import type { CompanyProfileData, PersonData, TraitementType } from './clientMessage.js';
import type { DocumentStatus, EntityType, ErasureSubject } from './caseCommand.js';
import type { RuleSource } from './notificationRule.js';

/** The domain events casestream records in `domain_events`, one document per event. */

export interface EventMetadata {
  /** The idempotency key of the message that caused the event. */
  readonly correlation_id: string;
  /** The id of the command the event answers. */
  readonly causation_id: string;
  /**
   * The hash of the message's content (see contentHash): the key stands for this content only.
   * Absent on events stored before keys were bound to content: unknown, and accepted as the same.
   */
  readonly content_hash?: string;
}

interface Envelope<Type extends string, Payload> {
  readonly event_id: string;
  readonly event_type: Type;
  readonly aggregate_id: string;
  readonly timestamp: Date;
  readonly version: number;
  readonly payload: Payload;
  readonly metadata: EventMetadata;
}

export type CaseCreated = Envelope<
  'CaseCreated',
  {
    readonly client_id: string;
    readonly case_type: string;
    readonly case_version: string;
    readonly traitement_type: TraitementType;
    readonly company_id: string | null;
  }
>;

export type PersonAddedToCase = Envelope<
  'PersonAddedToCase',
  {
    readonly person_id: string;
    readonly firstname: string;
    readonly lastname: string;
    readonly birthdate: string | null;
    readonly role_in_company: string | null;
  }
>;

export type DocumentRequirementDetermined = Envelope<
  'DocumentRequirementDetermined',
  {
    readonly document_requirement_id: string;
    readonly case_id: string;
    readonly entity_id: string;
    readonly entity_type: EntityType;
    readonly document_type: string;
    readonly is_required: boolean;
  }
>;

export type DocumentStatusUpdated = Envelope<
  'DocumentStatusUpdated',
  {
    readonly document_requirement_id: string;
    readonly new_status: DocumentStatus;
    readonly old_status: DocumentStatus;
    readonly updated_by: string;
    readonly metadata_update: Readonly<Record<string, unknown>>;
    readonly notes_added: readonly string[];
  }
>;

/**
 * Why a notification was sent: the rule that asked for it, as the Configuration Service returned
 * it, and where the lookup's answer came from.
 */
export interface NotificationProvenance {
  /** The trigger the rule was looked up for, e.g. `CASE_CREATED_KYC_INDIVIDUAL_STANDARD`. */
  readonly trigger: string;
  readonly rule_id: string;
  /** The rule's version as the service gave it; null when it gives none. */
  readonly rule_version: string | number | null;
  /**
   * `retry` when a retry of a failed lookup (RetryNotificationLookup) found the rule; otherwise
   * where the case creation's lookup answer came from (as `answer_source`).
   */
  readonly source: RuleSource | 'retry';
  /** Where the deciding lookup's answer came from; for a retry, the retry's own lookup. */
  readonly answer_source: RuleSource;
  /** When the Configuration Service gave that answer (ISO-8601); for a cached or stale answer, when it was cached. */
  readonly fetched_at: string;
}

export interface NotificationPayload {
  readonly notification_type: string;
  readonly recipient_details: {
    readonly case_id: string;
    readonly client_id: string;
    readonly primary_contact_name?: string;
  };
  readonly template_id: string | null;
  readonly language_code: string | null;
  readonly context_data: {
    readonly case_id: string;
    readonly client_name: string;
    readonly case_type: string;
    readonly traitement_type: TraitementType;
  };
  /** Absent on notifications recorded before casestream kept their provenance. */
  readonly provenance?: NotificationProvenance;
}

export type NotificationRequired = Envelope<'NotificationRequired', NotificationPayload>;

/** Company-stream payloads also name the case they came with, so read models can link back without a lookup. */
export type CompanyProfileCreated = Envelope<'CompanyProfileCreated', CompanyProfileData & { readonly case_id: string }>;

export type PersonLinkedToCompany = Envelope<
  'PersonLinkedToCompany',
  {
    readonly case_id: string;
    readonly person_id: string;
    readonly firstname: string;
    readonly lastname: string;
    readonly birthdate: string | null;
    readonly role_in_company: string;
  }
>;

export type BeneficialOwnerAdded = Envelope<
  'BeneficialOwnerAdded',
  {
    readonly case_id: string;
    readonly beneficial_owner_id: string;
    readonly person_details: PersonData;
    readonly ownership_percentage: number | null;
    readonly types_of_control: readonly string[];
    readonly is_ubo: boolean;
  }
>;

/** The case's record is complete (CloseCase); its retention (RETENTION_CASE_CLOSED) runs from `timestamp`. */
export type CaseClosed = Envelope<'CaseClosed', { readonly reason: string; readonly closed_by: string }>;

/**
 * A data subject's personal data was erased (EraseSubject): masked in every store casestream
 * keeps (see personalData.ts). Who asked, why and which fields; never the data.
 */
export type PersonalDataErased = Envelope<
  'PersonalDataErased',
  {
    readonly subject: ErasureSubject;
    readonly reason: string;
    readonly requested_by: string;
    /** The names of the fields erased, e.g. `firstname`; never their values. */
    readonly fields: readonly string[];
  }
>;

/** The case is under legal hold (PlaceLegalHold): its personal data may not be erased until the hold is lifted. */
export type LegalHoldPlaced = Envelope<'LegalHoldPlaced', { readonly reason: string; readonly placed_by: string }>;

export type LegalHoldLifted = Envelope<'LegalHoldLifted', { readonly reason: string; readonly lifted_by: string }>;

export type CaseEvent =
  | CaseCreated
  | PersonAddedToCase
  | DocumentRequirementDetermined
  | DocumentStatusUpdated
  | NotificationRequired
  | CaseClosed
  | PersonalDataErased
  | LegalHoldPlaced
  | LegalHoldLifted;

export type CompanyEvent = CompanyProfileCreated | PersonLinkedToCompany | BeneficialOwnerAdded;

export type DomainEvent = CaseEvent | CompanyEvent;

export type EventType = DomainEvent['event_type'];

/** Narrows an event by its type. */
export const isEventOf =
  <T extends EventType>(type: T) =>
  (e: DomainEvent): e is Extract<DomainEvent, { event_type: T }> =>
    e.event_type === type;

/**
 * The event's envelope alone, its fields in the documented order (as the API, the notification topic
 * and the evidence export show them), with `metadata` in place of its own when given.
 */
export const inEnvelopeOrder = <E extends DomainEvent>(e: E, metadata: EventMetadata = e.metadata): E =>
  ({
    event_id: e.event_id,
    event_type: e.event_type,
    aggregate_id: e.aggregate_id,
    timestamp: e.timestamp,
    version: e.version,
    payload: e.payload,
    metadata,
  }) as E;

/** The event as JSON on the notification topic: ISO-8601 timestamp (a Date's JSON), envelope fields in the documented order. */
export const toWireJson = (e: DomainEvent): string => JSON.stringify(inEnvelopeOrder(e));
