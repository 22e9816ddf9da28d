import type { DocumentStatus, EntityType } from './caseCommand.js';
import type { TraitementType } from './clientMessage.js';
import type { CaseEvent, DomainEvent } from './events.js';

/** What the decisions need to know about one case, folded from its event stream. */

export interface DocumentRequirementState {
  readonly id: string;
  readonly entity_id: string;
  readonly entity_type: EntityType;
  readonly document_type: string;
  readonly status: DocumentStatus;
  /** How many notes its status updates have added, so that a document's notes stay bounded. */
  readonly notes: number;
}

export interface CaseFacts {
  readonly client_id: string;
  readonly case_type: string;
  readonly traitement_type: TraitementType;
  readonly company_id: string | null;
}

/** What a notification decided after the case's creation needs that the facts do not hold. */
export interface CaseCreation {
  /** The idempotency key of the message that created the case: its notification ids derive from it. */
  readonly key: string;
  /** The case's first person, whom its notifications address; null when it has none. */
  readonly first_person: { readonly firstname: string; readonly lastname: string } | null;
}

export interface CaseState {
  readonly case_id: string;
  /** The last version of the case stream; 0 when the case does not exist. */
  readonly version: number;
  readonly facts: CaseFacts | null;
  /** Null when the case does not exist. */
  readonly creation: CaseCreation | null;
  readonly personIds: ReadonlySet<string>;
  readonly documents: ReadonlyMap<string, DocumentRequirementState>;
  /**
   * The ids of the notifications the case recorded, so that a redelivered creation does not decide
   * one twice. Only these: a live case actor keeps its state in memory, so it stays small.
   */
  readonly notificationIds: ReadonlySet<string>;
  /**
   * The idempotency key of every message recorded on the case, with the content hash it stands
   * for (undefined when its events carry none), so that a key reused for other content is refused.
   */
  readonly contentHashes: ReadonlyMap<string, string | undefined>;
}

export const emptyCase = (case_id: string): CaseState => ({
  case_id,
  version: 0,
  facts: null,
  creation: null,
  personIds: new Set(),
  documents: new Map(),
  notificationIds: new Set(),
  contentHashes: new Map(),
});

/** The parts of a case state one fold builds on: copied once per fold, not once per event. */
interface Folding {
  version: number;
  facts: CaseFacts | null;
  creation: CaseCreation | null;
  readonly personIds: Set<string>;
  readonly documents: Map<string, DocumentRequirementState>;
  readonly notificationIds: Set<string>;
  readonly contentHashes: Map<string, string | undefined>;
}

const applyCaseEvent = (s: Folding, e: CaseEvent): void => {
  s.version = e.version;
  if (!s.contentHashes.has(e.metadata.correlation_id)) s.contentHashes.set(e.metadata.correlation_id, e.metadata.content_hash);
  switch (e.event_type) {
    case 'CaseCreated':
      s.facts = {
        client_id: e.payload.client_id,
        case_type: e.payload.case_type,
        traitement_type: e.payload.traitement_type,
        company_id: e.payload.company_id,
      };
      s.creation = { key: e.metadata.correlation_id, first_person: null };
      return;
    case 'PersonAddedToCase':
      s.personIds.add(e.payload.person_id);
      if (s.creation !== null && s.creation.first_person === null) {
        s.creation = { ...s.creation, first_person: { firstname: e.payload.firstname, lastname: e.payload.lastname } };
      }
      return;
    case 'DocumentRequirementDetermined': {
      const p = e.payload;
      s.documents.set(p.document_requirement_id, {
        id: p.document_requirement_id,
        entity_id: p.entity_id,
        entity_type: p.entity_type,
        document_type: p.document_type,
        status: 'AWAITING_UPLOAD',
        notes: 0,
      });
      return;
    }
    case 'DocumentStatusUpdated': {
      const doc = s.documents.get(e.payload.document_requirement_id);
      if (doc) s.documents.set(doc.id, { ...doc, status: e.payload.new_status, notes: doc.notes + e.payload.notes_added.length });
      return;
    }
    case 'NotificationRequired':
      s.notificationIds.add(e.event_id);
      return;
  }
};

/**
 * Folds events into the case state; events of other aggregates (the company stream) and versions
 * already folded are ignored. The given state is never changed.
 */
export const evolveCase = (state: CaseState, events: readonly DomainEvent[]): CaseState => {
  if (!events.some((e) => e.aggregate_id === state.case_id && e.version > state.version)) return state;
  const s: Folding = {
    version: state.version,
    facts: state.facts,
    creation: state.creation,
    personIds: new Set(state.personIds),
    documents: new Map(state.documents),
    notificationIds: new Set(state.notificationIds),
    contentHashes: new Map(state.contentHashes),
  };
  for (const e of events) if (e.aggregate_id === state.case_id && e.version > s.version) applyCaseEvent(s, e as CaseEvent);
  return { case_id: state.case_id, ...s };
};
