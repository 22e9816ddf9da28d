import type { Db, Document, Filter, Sort } from 'mongodb';
import type { DocumentStatus, EntityType } from '../../domain/caseCommand.js';
import { EVENTS_COLLECTION, eventsCollection, outboxCollection, positionId } from './eventStore.js';
import { RAW_EVENTS_COLLECTION } from './rawEventLog.js';
import { createCommandResultReader, type CommandResultReader } from './commandResults.js';

/** A read-model document as the API answers it: stored fields minus `_id` and `applied`. */
export type ApiDocument = Record<string, unknown>;

export interface Page {
  readonly limit: number;
  readonly skip: number;
}

export interface DocumentRequirementFilter {
  readonly entity_id?: string;
  readonly entity_type?: EntityType;
  readonly status?: DocumentStatus;
  readonly is_required?: boolean;
}

/** Everything the HTTP API reads or writes in the database (a fake in unit tests, MongoDB otherwise). */
export interface ApiQueries extends CommandResultReader {
  /** Cases, newest first by created_at. */
  listCases(page: Page): Promise<ApiDocument[]>;
  getCase(case_id: string): Promise<ApiDocument | undefined>;
  /** The case stream's events in version order. */
  caseEvents(case_id: string): Promise<ApiDocument[]>;
  /**
   * A page of the case's NotificationRequired events in version order, as toApiNotification shows
   * them; undefined when the case does not exist.
   */
  caseNotifications(case_id: string, page: Page): Promise<ApiDocument[] | undefined>;
  personsOfCase(case_id: string): Promise<ApiDocument[]>;
  getCompany(company_id: string): Promise<ApiDocument | undefined>;
  beneficialOwners(company_id: string): Promise<ApiDocument[]>;
  getDocumentRequirement(id: string): Promise<ApiDocument | undefined>;
  documentRequirementsOfCase(case_id: string, filter: DocumentRequirementFilter): Promise<ApiDocument[]>;
  /** Raw client messages, newest first by received_at. */
  rawEvents(page: Page): Promise<ApiDocument[]>;
}

/** Internal fields never shown by the API. */
const HIDDEN = ['_id', 'applied'] as const;

/** A copy without the internal fields. */
export const toApiDocument = (d: Document): ApiDocument => {
  const out: ApiDocument = { ...d };
  for (const f of HIDDEN) delete out[f];
  return out;
};

const hiddenProjection = { _id: 0, applied: 0 } as const;

/** A raw copy as the API shows it: its `processed_at` whether or not its case holds it, and `legal_hold` while it does. */
const toApiRawEvent = (d: ApiDocument): ApiDocument => {
  const { held_processed_at, ...rest } = d;
  return held_processed_at === undefined ? rest : { ...rest, processed_at: held_processed_at, legal_hold: true };
};

/** The stored event as the API shows it: the envelope in its documented order, no outbox state. */
export const toApiEvent = (d: Document): ApiDocument => ({
  event_id: d.event_id,
  event_type: d.event_type,
  aggregate_id: d.aggregate_id,
  timestamp: d.timestamp,
  version: d.version,
  payload: d.payload,
  metadata: d.metadata,
});

/**
 * A stored NotificationRequired as the API lists it: the event as toApiEvent shows it, its
 * `payload.provenance` null when it was recorded before casestream kept provenance, and whether
 * Kafka acknowledged it (`published`: it is no longer in the outbox).
 */
export const toApiNotification = (d: Document, published: boolean): ApiDocument => {
  const event = toApiEvent(d);
  return { ...event, payload: { ...(event.payload as Document), provenance: d.payload?.provenance ?? null }, published };
};

/**
 * ApiQueries on the casestream database. Single documents are looked up by `{_id: id}` (read
 * models and raw events are stored with `_id` = `id`: on FerretDB v1 the one filter it evaluates
 * inside SQLite); lists filter on the indexed fields the read models carry.
 */
export const createMongoApiQueries = (db: Db): ApiQueries => {
  const byId = async (collection: string, id: string): Promise<ApiDocument | undefined> => {
    const d = await db.collection<{ _id: string }>(collection).findOne({ _id: id }, { projection: hiddenProjection });
    return d === null ? undefined : toApiDocument(d);
  };
  const list = async (collection: string, filter: Filter<Document>, sort: Sort, page?: Page): Promise<ApiDocument[]> => {
    let cursor = db.collection(collection).find(filter, { projection: hiddenProjection, sort });
    if (page) cursor = cursor.skip(page.skip).limit(page.limit);
    return (await cursor.toArray()).map(toApiDocument);
  };
  return {
    ...createCommandResultReader(db),
    listCases: (page) => list('cases', {}, { created_at: -1, _id: 1 }, page),
    getCase: (id) => byId('cases', id),
    caseEvents: async (case_id) =>
      (
        await db
          .collection(EVENTS_COLLECTION)
          .find({ aggregate_id: case_id }, { projection: { _id: 0 }, sort: { version: 1 } })
          .toArray()
      ).map(toApiEvent),
    caseNotifications: async (case_id, page) => {
      const stored = await eventsCollection(db)
        .find({ aggregate_id: case_id, event_type: 'NotificationRequired' }, { projection: { _id: 0 }, sort: { version: 1 } })
        .skip(page.skip)
        .limit(page.limit)
        .toArray();
      if (stored.length === 0) {
        // An empty page says nothing of the case: its first event does (found by `_id`, the cheap filter on FerretDB v1).
        const first = await eventsCollection(db).findOne({ _id: positionId(case_id, 1) }, { projection: { event_type: 1 } });
        return first?.event_type === 'CaseCreated' ? [] : undefined;
      }
      const pending = await outboxCollection(db)
        .find({ aggregate_id: case_id }, { projection: { _id: 1 } })
        .toArray();
      const unacknowledged = new Set(pending.map((p) => p._id));
      return stored.map((d) => toApiNotification(d, !unacknowledged.has(d.event_id)));
    },
    personsOfCase: (case_id) => list('persons', { case_id }, { created_at: 1, _id: 1 }),
    getCompany: (id) => byId('companies', id),
    beneficialOwners: (company_id) => list('beneficial_owners', { company_id }, { created_at: 1, _id: 1 }),
    getDocumentRequirement: (id) => byId('document_requirements', id),
    documentRequirementsOfCase: (case_id, f) =>
      list(
        'document_requirements',
        {
          case_id,
          ...(f.entity_id === undefined ? {} : { entity_id: f.entity_id }),
          ...(f.entity_type === undefined ? {} : { entity_type: f.entity_type }),
          ...(f.status === undefined ? {} : { status: f.status }),
          ...(f.is_required === undefined ? {} : { is_required: f.is_required }),
        },
        { created_at: 1, entity_type: 1, document_type: 1, _id: 1 },
      ),
    rawEvents: async (page) => (await list(RAW_EVENTS_COLLECTION, {}, { received_at: -1, _id: 1 }, page)).map(toApiRawEvent),
  };
};
