import type { Db } from 'mongodb';
import { defer } from 'rxjs';
import type { ErasureSubject } from '../../domain/caseCommand.js';
import type { DomainEvent } from '../../domain/events.js';
import { maskEvent, maskRawMessage, PERSONAL_DATA, readModelOf, subjectIndex } from '../../domain/personalData.js';
import type { Erasure, PersonalDataStore } from '../../streams/ports.js';
import { snapshotsCollection } from './caseSnapshots.js';
import { documentsById } from './documentsById.js';
import { eventsCollection, positionId, readStream } from './eventStore.js';
import { holdRawCopies } from './rawCopyHolds.js';
import { rawEventsCollection } from './rawEventLog.js';
import { asideName, freshPrefix } from './replay/replayCollections.js';

/** The read model of a subject's kind, and the copies a replay builds (`replay_<run>_…`) or keeps aside (`…__before_replay_<run>`). */
const readModelCopies = async (db: Db, subject: ErasureSubject): Promise<string[]> => {
  const model = readModelOf(subject.kind);
  const copy = new RegExp(`^(${freshPrefix('\\d+')})?${model}$|^${asideName(model, '\\d+')}$`);
  return (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((name) => copy.test(name));
};

/**
 * Masks one subject everywhere casestream keeps its personal data (PERSONAL_DATA): its events on
 * the case and company streams (the outbox points at notifications, it holds no copy), its read-model
 * documents (replays' copies included), the raw copy of the message that created the case, and the
 * case's snapshot when it was taken before the erasure (deleted: a load then folds the events).
 * Each place is read and written only where it still holds the data, so running it again changes
 * nothing and finishes a run that was interrupted.
 */
const erase = async (db: Db, e: Erasure): Promise<void> => {
  const events = eventsCollection(db);
  const [caseEvents, companyEvents] = await Promise.all([
    readStream(events, e.case_id),
    e.company_id === null ? Promise.resolve([]) : readStream(events, e.company_id),
  ]);
  const firstPerson =
    e.subject.kind === 'person' && caseEvents.find((x) => x.event_type === 'PersonAddedToCase')?.payload.person_id === e.subject.id;
  const mask = (x: DomainEvent) => maskEvent(x, e.subject, firstPerson);

  const changed = [...caseEvents, ...companyEvents].flatMap((x) => {
    const masked = mask(x);
    return masked === x ? [] : [masked];
  });
  await Promise.all(changed.map((m) => events.updateOne({ _id: positionId(m.aggregate_id, m.version) }, { $set: { payload: m.payload } })));

  const { masks } = PERSONAL_DATA.readModels[readModelOf(e.subject.kind)];
  for (const name of await readModelCopies(db, e.subject)) {
    await db.collection<{ _id: string }>(name).updateOne({ _id: e.subject.id }, { $set: masks });
  }

  const raw = rawEventsCollection(db);
  const index = subjectIndex(e.subject.kind === 'person' ? caseEvents : companyEvents, e.subject);
  for (const copy of (await documentsById(raw, e.raw_ids)).values()) {
    const payload = maskRawMessage(copy.payload, e.subject.kind, index);
    if (payload !== copy.payload) await raw.updateOne({ _id: copy._id }, { $set: { payload } });
  }

  const snapshots = snapshotsCollection(db);
  const snapshot = await snapshots.findOne({ _id: e.case_id }, { projection: { version: 1 } });
  // one that does not say its version is no better than an old one
  if (snapshot !== null && !(snapshot.version >= e.version)) await snapshots.deleteOne({ _id: e.case_id });
};

/** The PersonalDataStore on the casestream database. */
export const createMongoPersonalDataStore = (db: Db): PersonalDataStore => ({
  beneficialOwners: (company_id) =>
    defer(async () => {
      const stream = await readStream(eventsCollection(db), company_id);
      return new Set(stream.flatMap((x) => (x.event_type === 'BeneficialOwnerAdded' ? [x.payload.beneficial_owner_id] : [])));
    }),
  erase: (erasure) => defer(() => erase(db, erasure)),
  holdRawCopies: (hold) => defer(() => holdRawCopies(db, hold)),
});

/** A data subject of a client's case, as the read models list them. */
export interface ClientSubject {
  readonly case_id: string;
  readonly subject: ErasureSubject;
}

/** Every person and beneficial owner of a client's cases (found by `client_id` in the cases read model). */
export const subjectsOfClient = async (db: Db, client_id: string): Promise<ClientSubject[]> => {
  const cases = await db
    .collection<{ _id: string }>('cases')
    .find({ client_id }, { projection: { _id: 1 }, sort: { created_at: 1, _id: 1 } })
    .toArray();
  const subjects: ClientSubject[] = [];
  for (const { _id: case_id } of cases) {
    for (const [model, kind] of [
      ['persons', 'person'],
      ['beneficial_owners', 'beneficial_owner'],
    ] as const) {
      const docs = await db
        .collection<{ _id: string }>(model)
        .find({ case_id }, { projection: { _id: 1 }, sort: { created_at: 1, _id: 1 } })
        .toArray();
      for (const d of docs) subjects.push({ case_id, subject: { kind, id: d._id } });
    }
  }
  return subjects;
};
