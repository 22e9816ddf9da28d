import type { DomainEvent } from './events.js';
import { PERSONAL_DATA, readModelOf } from './personalData.js';

/** The read models casestream keeps, one MongoDB collection each. */
export const ReadModelNames = ['cases', 'persons', 'companies', 'beneficial_owners', 'document_requirements'] as const;
export type ReadModelName = (typeof ReadModelNames)[number];

export type StreamKind = 'case' | 'company';

/**
 * One change to one read-model document, keyed by its `id`. A small vocabulary on purpose:
 * the MongoDB adapter turns it into an update, an in-memory model applies it in tests, and
 * every write is idempotent, so replaying events (or re-projecting after a crash) changes nothing.
 */
export interface ReadModelWrite {
  readonly collection: ReadModelName;
  readonly id: string;
  /** Fields written only when the write creates the document. */
  readonly onInsert?: Readonly<Record<string, unknown>>;
  /** Fields written every time (dotted paths allowed). */
  readonly set: Readonly<Record<string, unknown>>;
  /** Values appended to array fields. */
  readonly push?: Readonly<Record<string, readonly unknown[]>>;
  /**
   * Numeric fields raised to at least this value, never lowered: the stream versions a document
   * applied. A redelivered older event must not move them back, or a guarded write that was
   * already applied would apply again.
   */
  readonly max?: Readonly<Record<string, number>>;
  /**
   * When present the write changes an existing document only, and only if the version it
   * recorded for this stream is below this event's: an event already applied is ignored.
   */
  readonly guard?: { readonly stream: StreamKind; readonly version: number };
}

export const appliedField = (stream: StreamKind): string => `applied.${stream}`;

/** The `set` of a write that sets nothing: one shared (frozen) object, not one per event. */
const NOTHING: Readonly<Record<string, unknown>> = Object.freeze({});

// The writes below spell their fields out, `applied.case` and `applied.company` too (appliedField's
// values): every event makes them, and spreads and computed keys build an object by a slower path.
const applied = (stream: StreamKind, e: DomainEvent): Record<string, number> =>
  stream === 'case' ? { 'applied.case': e.version } : { 'applied.company': e.version };

/** What one event changes in the read models; NotificationRequired changes none. */
export const projectEvent = (e: DomainEvent): ReadModelWrite[] => {
  switch (e.event_type) {
    case 'CaseCreated': {
      const p = e.payload;
      return [
        {
          collection: 'cases',
          id: e.aggregate_id,
          onInsert: {
            client_id: p.client_id,
            version: p.case_version,
            type: p.case_type,
            traitement_type: p.traitement_type,
            company_id: p.company_id,
            status: 'OPEN',
            created_at: e.timestamp,
            updated_at: e.timestamp,
          },
          set: NOTHING,
          max: applied('case', e),
        },
      ];
    }
    case 'PersonAddedToCase': {
      const p = e.payload;
      return [
        {
          collection: 'persons',
          id: p.person_id,
          // Names on insert only (PersonLinkedToCompany may insert them first, the same): a redelivered
          // creation, decided again from its message, must not write back what an erasure masked.
          onInsert: {
            company_id: null,
            firstname: p.firstname,
            lastname: p.lastname,
            birthdate: p.birthdate,
            created_at: e.timestamp,
            updated_at: e.timestamp,
          },
          set: { case_id: e.aggregate_id, role_in_company: p.role_in_company },
          max: applied('case', e),
        },
      ];
    }
    case 'PersonLinkedToCompany': {
      const p = e.payload;
      return [
        {
          collection: 'persons',
          id: p.person_id,
          onInsert: {
            case_id: p.case_id,
            firstname: p.firstname,
            lastname: p.lastname,
            birthdate: p.birthdate,
            created_at: e.timestamp,
            updated_at: e.timestamp,
          },
          set: { company_id: e.aggregate_id, role_in_company: p.role_in_company },
          max: applied('company', e),
        },
      ];
    }
    case 'CompanyProfileCreated': {
      const { case_id, ...profile } = e.payload;
      return [
        {
          collection: 'companies',
          id: e.aggregate_id,
          onInsert: { case_id, ...profile, created_at: e.timestamp, updated_at: e.timestamp },
          set: NOTHING,
          max: applied('company', e),
        },
      ];
    }
    case 'BeneficialOwnerAdded': {
      const p = e.payload;
      return [
        {
          collection: 'beneficial_owners',
          id: p.beneficial_owner_id,
          onInsert: {
            company_id: e.aggregate_id,
            case_id: p.case_id,
            firstname: p.person_details.firstname,
            lastname: p.person_details.lastname,
            birthdate: p.person_details.birthdate,
            ownership_percentage: p.ownership_percentage,
            types_of_control: p.types_of_control,
            is_ubo: p.is_ubo,
            created_at: e.timestamp,
            updated_at: e.timestamp,
          },
          set: NOTHING,
          max: applied('company', e),
        },
      ];
    }
    case 'DocumentRequirementDetermined': {
      const p = e.payload;
      return [
        {
          collection: 'document_requirements',
          id: p.document_requirement_id,
          onInsert: {
            case_id: p.case_id,
            entity_id: p.entity_id,
            entity_type: p.entity_type,
            document_type: p.document_type,
            status: 'AWAITING_UPLOAD',
            is_required: p.is_required,
            metadata: {},
            notes: [],
            created_at: e.timestamp,
            updated_at: e.timestamp,
            'applied.case': e.version,
          },
          set: NOTHING,
        },
      ];
    }
    case 'DocumentStatusUpdated': {
      const p = e.payload;
      const metadata = Object.fromEntries(Object.entries(p.metadata_update).map(([k, v]) => [`metadata.${k}`, v]));
      return [
        {
          collection: 'document_requirements',
          id: p.document_requirement_id,
          set: { status: p.new_status, ...metadata, updated_at: e.timestamp, 'applied.case': e.version },
          push: p.notes_added.length > 0 ? { notes: p.notes_added } : {},
          guard: { stream: 'case', version: e.version },
        },
      ];
    }
    case 'NotificationRequired':
      return [];
    case 'PersonalDataErased': {
      // What the masking wrote, so that a replay of masked events shows the subject as erased too.
      const readModel = readModelOf(e.payload.subject.kind);
      return [
        {
          collection: readModel,
          id: e.payload.subject.id,
          set: { ...PERSONAL_DATA.readModels[readModel].masks, [appliedField('case')]: e.version },
          guard: { stream: 'case', version: e.version },
        },
      ];
    }
    case 'LegalHoldPlaced':
    case 'LegalHoldLifted':
      return [
        {
          collection: 'cases',
          id: e.aggregate_id,
          set: {
            legal_hold: e.event_type === 'LegalHoldPlaced' ? { since: e.timestamp, reason: e.payload.reason } : null,
            updated_at: e.timestamp,
            [appliedField('case')]: e.version,
          },
          guard: { stream: 'case', version: e.version },
        },
      ];
    case 'CaseClosed':
      return [
        {
          collection: 'cases',
          id: e.aggregate_id,
          set: {
            status: 'CLOSED',
            closed_at: e.timestamp,
            closure_reason: e.payload.reason,
            closed_by: e.payload.closed_by,
            updated_at: e.timestamp,
            [appliedField('case')]: e.version,
          },
          guard: { stream: 'case', version: e.version },
        },
      ];
  }
};

/** The writes for many events, in event order. */
export const projectEvents = (events: readonly DomainEvent[]): ReadModelWrite[] => {
  const writes: ReadModelWrite[] = [];
  for (const e of events) for (const w of projectEvent(e)) writes.push(w);
  return writes;
};

type Doc = Record<string, unknown>;

const setPath = (doc: Doc, path: string, value: unknown): void => {
  const parts = path.split('.');
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    target = target[part] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...(next as Doc) } : {};
  }
  target[parts[parts.length - 1]!] = value;
};

const getPath = (doc: Doc, path: string): unknown =>
  path.split('.').reduce<unknown>((v, part) => (typeof v === 'object' && v !== null ? (v as Doc)[part] : undefined), doc);

/**
 * What one write makes of a read-model document (undefined: there is none), without touching the
 * one given: the meaning every store must give the vocabulary. A guarded write never creates a
 * document and is ignored when the document already applied a version at least as recent.
 */
export const applyWrite = (doc: Readonly<Doc> | undefined, w: ReadModelWrite): Doc | undefined => {
  if (w.guard) {
    const applied = doc === undefined ? undefined : getPath(doc, appliedField(w.guard.stream));
    if (doc === undefined || (typeof applied === 'number' && applied >= w.guard.version)) return doc as Doc | undefined;
  }
  const next: Doc = doc === undefined ? { id: w.id } : { ...doc };
  if (doc === undefined) for (const [k, v] of Object.entries(w.onInsert ?? {})) setPath(next, k, v);
  for (const [k, v] of Object.entries(w.set)) setPath(next, k, v);
  for (const [k, v] of Object.entries(w.max ?? {})) {
    const current = getPath(next, k);
    if (typeof current !== 'number' || current < v) setPath(next, k, v);
  }
  for (const [k, values] of Object.entries(w.push ?? {})) {
    const current = getPath(next, k);
    setPath(next, k, [...(Array.isArray(current) ? current : []), ...values]);
  }
  return next;
};
