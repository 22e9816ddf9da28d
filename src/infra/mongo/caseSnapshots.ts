import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Collection, Db } from 'mongodb';
import { DocumentStatus, EntityType } from '../../domain/caseCommand.js';
import type { CaseState } from '../../domain/caseState.js';
import { TraitementType } from '../../domain/clientMessage.js';
import { oneOf } from '../../domain/codecs.js';
import { isDuplicateKeyCode, perOperationErrors } from './writeErrors.js';

/**
 * Case snapshots: one document per case, `_id` = the case id, holding its CaseState as of a version
 * and the id of the event at that version. A cache of the fold of the case's events, never the
 * truth: a load uses one only while the event it was taken at is still stored at its version, and
 * folds the events after it (see the event store's load). A missing, older or unreadable snapshot
 * only makes a load read more of the case's own events.
 *
 * SNAPSHOT_FORMAT names what a snapshot means. Bump it whenever CaseState or evolveCase change what
 * a stream folds into (test/unit/infra/caseSnapshots.spec.ts pins the fold of a stream of every
 * event type to make such a change fail): snapshots of another format decode as absent, so loads
 * fold the events again until each case's next append writes a new snapshot. `casestream replay`
 * drops them all.
 */
export const SNAPSHOTS_COLLECTION = 'case_snapshots';

/**
 * 2: a notification's version kept beside its id (format 1 kept the ids alone), and each recorded
 * key's versions beside its content hash (`keys`; unreleased `content_hashes` documents decode as absent).
 */
export const SNAPSHOT_FORMAT = 2;

/** A BSON date (the driver reads one as a Date). */
const date = new t.Type<Date, Date, unknown>(
  'a date',
  (u): u is Date => u instanceof Date && !Number.isNaN(u.getTime()),
  (u, c) => (u instanceof Date && !Number.isNaN(u.getTime()) ? t.success(u) : t.failure(u, c, 'must be a date')),
  t.identity,
);

/** A version a snapshot can be taken at: a case with no event has none. */
const version = new t.Type<number, number, unknown>(
  'a version',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 1,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 1 ? t.success(u as number) : t.failure(u, c, 'must be an integer from 1')),
  t.identity,
);

const snapshotDocument = t.type({
  _id: t.string,
  format: t.literal(SNAPSHOT_FORMAT),
  version,
  event_id: t.string,
  facts: t.union([
    t.type({ client_id: t.string, case_type: t.string, traitement_type: oneOf(TraitementType), company_id: t.union([t.string, t.null]) }),
    t.null,
  ]),
  creation: t.union([
    t.type({ key: t.string, first_person: t.union([t.type({ firstname: t.string, lastname: t.string }), t.null]) }),
    t.null,
  ]),
  person_ids: t.array(t.string),
  documents: t.array(
    t.type({
      id: t.string,
      entity_id: t.string,
      entity_type: oneOf(EntityType),
      document_type: t.string,
      status: oneOf(DocumentStatus),
      notes: t.number,
    }),
  ),
  notifications: t.array(t.type({ event_id: t.string, version })),
  /** Objects rather than pairs: FerretDB v1 refuses arrays inside arrays. */
  keys: t.array(t.type({ key: t.string, content_hash: t.union([t.string, t.null]), first: version, last: version })),
  closed_at: t.union([date, t.null]),
  erased: t.array(t.string),
  legal_hold: t.union([t.type({ since: date, reason: t.string }), t.null]),
});

export type CaseSnapshotDocument = t.TypeOf<typeof snapshotDocument>;

/** A case's state as of a version, and the id of the event at that version. */
export interface CaseSnapshot {
  readonly state: CaseState;
  readonly event_id: string;
}

export const snapshotsCollection = (db: Db): Collection<CaseSnapshotDocument> => db.collection<CaseSnapshotDocument>(SNAPSHOTS_COLLECTION);

/** The document of a snapshot; `event_id` is the id of the event at `state.version`. */
export const toSnapshotDocument = (state: CaseState, event_id: string): CaseSnapshotDocument => ({
  _id: state.case_id,
  format: SNAPSHOT_FORMAT,
  version: state.version,
  event_id,
  facts: state.facts,
  creation: state.creation,
  person_ids: [...state.personIds],
  documents: [...state.documents.values()],
  notifications: [...state.notificationVersions].map(([event_id, version]) => ({ event_id, version })),
  keys: [...state.recordedKeys].map(([key, k]) => ({ key, content_hash: k.hash ?? null, first: k.first, last: k.last })),
  closed_at: state.closed_at,
  erased: [...state.erased],
  legal_hold: state.legal_hold,
});

/** Every field rebuilt, so that a decoded state holds what a fold would and nothing a document may carry besides. */
const fromDocument = (d: CaseSnapshotDocument): CaseSnapshot => ({
  event_id: d.event_id,
  state: {
    case_id: d._id,
    version: d.version,
    facts: d.facts && {
      client_id: d.facts.client_id,
      case_type: d.facts.case_type,
      traitement_type: d.facts.traitement_type,
      company_id: d.facts.company_id,
    },
    creation: d.creation && {
      key: d.creation.key,
      first_person: d.creation.first_person && { firstname: d.creation.first_person.firstname, lastname: d.creation.first_person.lastname },
    },
    personIds: new Set(d.person_ids),
    documents: new Map(
      d.documents.map((doc) => [
        doc.id,
        {
          id: doc.id,
          entity_id: doc.entity_id,
          entity_type: doc.entity_type,
          document_type: doc.document_type,
          status: doc.status,
          notes: doc.notes,
        },
      ]),
    ),
    notificationVersions: new Map(d.notifications.map((n) => [n.event_id, n.version])),
    recordedKeys: new Map(d.keys.map((k) => [k.key, { hash: k.content_hash ?? undefined, first: k.first, last: k.last }])),
    closed_at: d.closed_at,
    erased: new Set(d.erased),
    legal_hold: d.legal_hold && { since: d.legal_hold.since, reason: d.legal_hold.reason },
  },
});

/** The snapshot a stored document holds; undefined for none, another format or a document that does not decode. */
export const decodeSnapshot = (stored: unknown): CaseSnapshot | undefined =>
  stored === null
    ? undefined
    : pipe(
        snapshotDocument.decode(stored),
        E.match(
          () => undefined,
          (d) => fromDocument(d),
        ),
      );

/**
 * Drops every snapshot (a replay's: they may have been folded by other code than the service's
 * now); how many there were. Loads then fold the events until each case's next append.
 */
export const dropSnapshots = async (db: Db): Promise<number> => {
  const snapshots = snapshotsCollection(db);
  const count = await snapshots.countDocuments();
  await snapshots.drop();
  return count;
};

/** A snapshot to keep, and whether its case had none before (its stream began with this append). */
export interface SnapshotWrite {
  readonly doc: CaseSnapshotDocument;
  readonly fresh: boolean;
}

/** Deletes the snapshots of these documents' cases; the documents whose case has none left. */
const deleteFor = async (
  collection: Collection<CaseSnapshotDocument>,
  docs: readonly CaseSnapshotDocument[],
): Promise<CaseSnapshotDocument[]> => {
  if (docs.length === 0) return [];
  try {
    await collection.bulkWrite(
      docs.map((doc) => ({ deleteOne: { filter: { _id: doc._id } } })),
      { ordered: false },
    );
    return [...docs];
  } catch (error) {
    const failed = new Set(perOperationErrors(error)?.map((w) => w.index) ?? docs.map((_, i) => i));
    return docs.filter((_, i) => !failed.has(i));
  }
};

/** Inserts; how many were stored, and the documents refused because their case has a snapshot. */
const insertAll = async (
  collection: Collection<CaseSnapshotDocument>,
  docs: readonly CaseSnapshotDocument[],
): Promise<{ stored: number; taken: CaseSnapshotDocument[] }> => {
  if (docs.length === 0) return { stored: 0, taken: [] };
  try {
    await collection.insertMany([...docs], { ordered: false });
    return { stored: docs.length, taken: [] };
  } catch (error) {
    const writeErrors = perOperationErrors(error);
    if (writeErrors === undefined) return { stored: 0, taken: [] };
    const taken = writeErrors.filter((w) => isDuplicateKeyCode(w.code)).map((w) => docs[w.index]!);
    return { stored: docs.length - writeErrors.length, taken };
  }
};

/**
 * Keeps snapshots: deletes the cases' snapshots by `_id`, then inserts the new ones with one
 * insertMany (none to delete for a new case; a case that had one after all, an earlier stream's or
 * another writer's, gets one more delete and insert). Never an update: FerretDB v1 holds an update
 * statement's SQLite connection until its whole command ends, and update commands holding about
 * 100 of them at once (a database's pool) wait for each other forever (docs/ferretdb.md); a delete
 * lets go of its read first. A load between the delete and the insert finds no snapshot and folds
 * the events. Resolves with how many were not written; never rejects: a snapshot not written only
 * makes the next load of its case fold more events.
 */
export const writeSnapshots = async (collection: Collection<CaseSnapshotDocument>, writes: readonly SnapshotWrite[]): Promise<number> => {
  const cleared = await deleteFor(
    collection,
    writes.filter((w) => !w.fresh).map((w) => w.doc),
  );
  const first = await insertAll(collection, [...writes.filter((w) => w.fresh).map((w) => w.doc), ...cleared]);
  const again = await insertAll(collection, await deleteFor(collection, first.taken));
  return writes.length - first.stored - again.stored;
};
