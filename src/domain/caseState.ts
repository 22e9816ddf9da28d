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
}

export interface CaseFacts {
  readonly client_id: string;
  readonly case_type: string;
  readonly traitement_type: TraitementType;
  readonly company_id: string | null;
}

export interface CaseState {
  readonly case_id: string;
  /** The last version of the case stream; 0 when the case does not exist. */
  readonly version: number;
  readonly facts: CaseFacts | null;
  readonly personIds: ReadonlySet<string>;
  readonly documents: ReadonlyMap<string, DocumentRequirementState>;
  readonly eventIds: ReadonlySet<string>;
}

export const emptyCase = (case_id: string): CaseState => ({
  case_id,
  version: 0,
  facts: null,
  personIds: new Set(),
  documents: new Map(),
  eventIds: new Set(),
});

const applyCaseEvent = (s: CaseState, e: CaseEvent): CaseState => {
  const base = { ...s, version: e.version, eventIds: new Set(s.eventIds).add(e.event_id) };
  switch (e.event_type) {
    case 'CaseCreated':
      return {
        ...base,
        facts: {
          client_id: e.payload.client_id,
          case_type: e.payload.case_type,
          traitement_type: e.payload.traitement_type,
          company_id: e.payload.company_id,
        },
      };
    case 'PersonAddedToCase':
      return { ...base, personIds: new Set(s.personIds).add(e.payload.person_id) };
    case 'DocumentRequirementDetermined': {
      const p = e.payload;
      const doc: DocumentRequirementState = {
        id: p.document_requirement_id,
        entity_id: p.entity_id,
        entity_type: p.entity_type,
        document_type: p.document_type,
        status: 'AWAITING_UPLOAD',
      };
      return { ...base, documents: new Map(s.documents).set(doc.id, doc) };
    }
    case 'DocumentStatusUpdated': {
      const doc = s.documents.get(e.payload.document_requirement_id);
      if (!doc) return base;
      return { ...base, documents: new Map(s.documents).set(doc.id, { ...doc, status: e.payload.new_status }) };
    }
    case 'NotificationRequired':
      return base;
  }
};

/** Folds events into the case state; events of other aggregates (the company stream) are ignored. */
export const evolveCase = (state: CaseState, events: readonly DomainEvent[]): CaseState =>
  events.reduce(
    (s, e) => (e.aggregate_id === s.case_id && e.version > s.version ? applyCaseEvent(s, e as CaseEvent) : s),
    state,
  );
