import { expect } from 'chai';
import { Collection } from 'mongodb';
import { firstValueFrom } from 'rxjs';
import sinon from 'sinon';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import type { DocumentStatusUpdated, DomainEvent } from '../../../src/domain/events.js';
import { projectEvents, ReadModelNames, type ReadModelWrite } from '../../../src/domain/projections.js';
import { createMongoReadModelStore, toReadModelUpdate } from '../../../src/infra/mongo/readModelStore.js';
import type { ReadModelStore } from '../../../src/streams/ports.js';
import { InMemoryReadModels } from '../../support/inMemoryReadModels.js';
import { creationCommand, rawKybMessage } from '../../unit/domain/fixtures.js';
import { documentsOf, forEachServerMode, freshId, guardsOf, T0, useTestDatabase } from './support.js';

/** A real KYB case, and a status update of its first document requirement at `version`. */
const kybCase = (key: string) => {
  const cmd = creationCommand(rawKybMessage(), key);
  const events = decideCaseCreation(cmd);
  const firstRequirement = events.find((e) => e.event_type === 'DocumentRequirementDetermined');
  if (firstRequirement?.event_type !== 'DocumentRequirementDetermined') throw new Error('fixture has no document requirement');
  const caseVersion = Math.max(...events.filter((e) => e.aggregate_id === cmd.case_id).map((e) => e.version));
  const statusUpdate = (
    version: number,
    change: Partial<DocumentStatusUpdated['payload']> = {},
  ): DocumentStatusUpdated => ({
    event_id: `${cmd.case_id}-status-${version}`,
    event_type: 'DocumentStatusUpdated',
    aggregate_id: cmd.case_id,
    timestamp: new Date(T0.getTime() + version * 60_000),
    version,
    payload: {
      document_requirement_id: firstRequirement.payload.document_requirement_id,
      new_status: 'UPLOADED',
      old_status: 'AWAITING_UPLOAD',
      updated_by: 'agent-7',
      metadata_update: {},
      notes_added: [],
      ...change,
    },
    metadata: { correlation_id: `status-${version}`, causation_id: `cmd-${version}` },
  });
  return { cmd, events, requirementId: firstRequirement.payload.document_requirement_id, caseVersion, statusUpdate };
};

/** How many update operations the spied bulkWrite calls carried (insertMany goes through bulkWrite too). */
const updatesIn = (bulkWrite: sinon.SinonSpy): number =>
  bulkWrite.getCalls().reduce((n, call) => n + (call.args[0] as object[]).filter((op) => 'updateOne' in op || 'updateMany' in op).length, 0);

// Every behaviour holds on both paths: guards checked by the server (MongoDB) and by casestream (FerretDB).
forEachServerMode((mode) =>
describe(`MongoReadModelStore (integration, ${mode} path: guards checked by the ${guardsOf(mode)})`, function () {
  this.timeout(60_000);
  const t = useTestDatabase('readmodels', mode);
  const guards = guardsOf(mode);
  let store: ReadModelStore;
  const apply = (writes: readonly ReadModelWrite[], s: ReadModelStore = store) => firstValueFrom(s.apply(writes));
  const project = (events: readonly DomainEvent[]) => apply(projectEvents(events));
  const requirement = async (id: string) => (await documentsOf(t.db, 'document_requirements', { id }))[0];
  /** Every read-model document of one case, without `_id`. */
  const snapshot = async (case_id: string) => ({
    cases: await documentsOf(t.db, 'cases', { id: case_id }),
    persons: await documentsOf(t.db, 'persons', { case_id }),
    companies: await documentsOf(t.db, 'companies', { case_id }),
    beneficial_owners: await documentsOf(t.db, 'beneficial_owners', { case_id }),
    document_requirements: await documentsOf(t.db, 'document_requirements', { case_id }),
  });

  before(() => {
    store = createMongoReadModelStore(t.db, { guards });
  });
  afterEach(() => sinon.restore());

  it('creates a document on the first write (upsert), with its id, onInsert and set fields', async () => {
    const { cmd, events } = kybCase(freshId('create'));
    const created = events.find((e) => e.event_type === 'CaseCreated');
    if (created?.event_type !== 'CaseCreated') throw new Error('fixture has no CaseCreated');

    await project([created]);

    const [doc] = await documentsOf(t.db, 'cases', { id: cmd.case_id });
    expect(doc).to.deep.equal({
      id: cmd.case_id,
      client_id: cmd.message.client_id,
      version: '1.0',
      type: cmd.message.type,
      traitement_type: 'KYB',
      company_id: created.payload.company_id,
      status: 'OPEN',
      created_at: cmd.timestamp,
      updated_at: cmd.timestamp,
      applied: { case: 1 },
    });
    expect(doc?.company_id).to.be.a('string');
  });

  it('stores null and empty-array onInsert values (which FerretDB v1 drops from $setOnInsert)', async () => {
    const id = freshId('nulls');
    const write: ReadModelWrite = {
      collection: 'persons',
      id,
      onInsert: { company_id: null, birthdate: null, tags: [], 'nested.value': null, kept: { inner: null, list: [] } },
      set: { firstname: 'Ada' },
    };

    await apply([write]);
    const inserted = (await documentsOf(t.db, 'persons', { id }))[0];
    await apply([{ ...write, onInsert: { company_id: 'later', tags: ['x'] }, set: { firstname: 'Ada' } }]);
    await apply([{ collection: 'persons', id, set: { company_id: 'c-1', tags: ['t'] } }]);
    await apply([write]);

    expect(inserted).to.deep.equal({
      id,
      company_id: null,
      birthdate: null,
      tags: [],
      nested: { value: null },
      kept: { inner: null, list: [] },
      firstname: 'Ada',
    });
    expect((await documentsOf(t.db, 'persons', { id }))[0]).to.include({ company_id: 'c-1', birthdate: null });
    expect((await documentsOf(t.db, 'persons', { id }))[0]?.tags).to.deep.equal(['t']);
  });

  it('stores read-model documents under _id = id', async () => {
    const id = freshId('underscore-id');
    await apply([{ collection: 'companies', id, set: { n: 1 } }]);

    expect(await t.db.collection('companies').findOne({ _id: id as never }, { projection: { id: 1 } })).to.deep.equal({ _id: id, id });
  });

  for (const firstTime of [false, true])
  it(`stores the same documents as the in-memory model for a whole KYB case${firstTime ? ', reading none first when its events were stored just now' : ''}`, async () => {
    const { cmd, events, statusUpdate, caseVersion } = kybCase(freshId('contract'));
    const later = [
      statusUpdate(caseVersion + 1, { metadata_update: { file: 'a.pdf' }, notes_added: ['received'] }),
      statusUpdate(caseVersion + 2, { new_status: 'VERIFIED_MANUAL', old_status: 'UPLOADED', notes_added: ['ok'] }),
    ];
    const memory = new InMemoryReadModels();
    memory.apply(projectEvents([...events, ...later]));
    const findOne = sinon.spy(Collection.prototype, 'findOne');
    const find = sinon.spy(Collection.prototype, 'find');

    await firstValueFrom(store.apply(projectEvents(events), { firstTime }));
    await firstValueFrom(store.apply(projectEvents(later), { firstTime }));

    if (firstTime) expect(findOne.callCount + find.callCount, 'reads').to.equal(0);
    sinon.restore();
    const stored = await snapshot(cmd.case_id);
    for (const name of ReadModelNames) {
      const expected = memory
        .all(name)
        .filter((d) => (name === 'cases' ? d.id === cmd.case_id : d.case_id === cmd.case_id))
        .sort((a, b) => String(a.id).localeCompare(String(b.id)));
      const actual = [...stored[name]].sort((a, b) => String(a.id).localeCompare(String(b.id)));
      expect(actual, name).to.deep.equal(expected);
    }
    expect(stored.persons.length).to.be.greaterThan(0);
    expect(stored.companies).to.have.length(1);
    expect(stored.beneficial_owners.length).to.be.greaterThan(0);
  });

  it('changes nothing when the same writes are applied again (replay)', async () => {
    const { cmd, events, statusUpdate, caseVersion } = kybCase(freshId('replay'));
    const all = [...events, statusUpdate(caseVersion + 1, { notes_added: ['n1'], metadata_update: { k: 1 } })];
    await project(all);
    const once = await snapshot(cmd.case_id);

    await project(all);
    await project(all.slice(2));

    expect(await snapshot(cmd.case_id)).to.deep.equal(once);
  });

  it('re-applies none of the writes of a redelivered case whose documents are all in place (no update command at all)', async () => {
    const { events } = kybCase(freshId('redelivered'));
    await project(events);
    const bulkWrite = sinon.spy(Collection.prototype, 'bulkWrite');
    const updateOne = sinon.spy(Collection.prototype, 'updateOne');

    await project(events);

    expect(updatesIn(bulkWrite) + updateOne.callCount).to.equal(0);
  });

  it('still repairs, on redelivery, a document that misses what its writes set', async () => {
    const { cmd, events } = kybCase(freshId('repair'));
    await project(events);
    const once = await snapshot(cmd.case_id);
    await t.db.collection('cases').updateOne({ _id: cmd.case_id } as never, { $unset: { applied: '' } });

    await project(events);

    expect(await snapshot(cmd.case_id)).to.deep.equal(once);
  });

  it('applies a guarded write once, and ignores it (and any older version) afterwards', async () => {
    const { events, requirementId, statusUpdate, caseVersion } = kybCase(freshId('guard'));
    await project(events);
    const v = caseVersion + 1;

    await project([statusUpdate(v, { notes_added: ['first'] })]);
    const afterOnce = await requirement(requirementId);
    await project([statusUpdate(v, { notes_added: ['first'] })]);
    await project([statusUpdate(v - 1, { new_status: 'REJECTED', notes_added: ['older'] })]);

    expect(afterOnce).to.include({ status: 'UPLOADED' });
    expect(afterOnce?.applied).to.deep.equal({ case: v });
    expect(afterOnce?.notes).to.deep.equal(['first']);
    expect(await requirement(requirementId)).to.deep.equal(afterOnce);
  });

  it('never moves a recorded version back when an older event is redelivered after newer ones', async () => {
    const { cmd, events } = kybCase(freshId('older-again'));
    await project(events);
    const once = await snapshot(cmd.case_id);
    const raised = (id: string, version: number): ReadModelWrite => ({ collection: 'cases', id, set: {}, max: { 'applied.case': version } });
    await apply([raised(cmd.case_id, 40)]);

    await project(events);

    const [stored] = await documentsOf(t.db, 'cases', { id: cmd.case_id });
    expect(stored?.applied).to.deep.equal({ case: 40 });
    expect((await snapshot(cmd.case_id)).persons).to.deep.equal(once.persons);
  });

  it('applies a guarded write to a document that has no applied version yet', async () => {
    const id = freshId('no-applied');
    await apply([{ collection: 'document_requirements', id, onInsert: { case_id: 'c', status: 'AWAITING_UPLOAD' }, set: {} }]);

    await apply([{ collection: 'document_requirements', id, set: { status: 'UPLOADED' }, guard: { stream: 'case', version: 3 } }]);

    expect(await requirement(id)).to.deep.equal({ id, case_id: 'c', status: 'UPLOADED' });
  });

  it('does not create a document for a guarded write whose document does not exist', async () => {
    const id = freshId('missing');

    await apply([{ collection: 'document_requirements', id, set: { status: 'UPLOADED' }, guard: { stream: 'case', version: 9 } }]);

    expect(await t.db.collection('document_requirements').countDocuments({ id })).to.equal(0);
  });

  it('appends notes with $push, keeping earlier ones, in event order', async () => {
    const { events, requirementId, statusUpdate, caseVersion } = kybCase(freshId('notes'));
    await project(events);

    await project([
      statusUpdate(caseVersion + 1, { notes_added: ['one', 'two'] }),
      statusUpdate(caseVersion + 2, { new_status: 'VERIFIED_MANUAL', old_status: 'UPLOADED', notes_added: ['three'] }),
    ]);

    expect((await requirement(requirementId))?.notes).to.deep.equal(['one', 'two', 'three']);
  });

  it('merges dotted metadata paths into the metadata object instead of replacing it', async () => {
    const { events, requirementId, statusUpdate, caseVersion } = kybCase(freshId('meta'));
    await project(events);

    await project([statusUpdate(caseVersion + 1, { metadata_update: { file: 'id.pdf', pages: 2 } })]);
    await project([statusUpdate(caseVersion + 2, { metadata_update: { checked_by: 'ops', pages: 3 } })]);

    expect((await requirement(requirementId))?.metadata).to.deep.equal({ file: 'id.pdf', pages: 3, checked_by: 'ops' });
  });

  it('writes a path given both onInsert and set (or a parent of it) once, with the set value', async () => {
    const id = freshId('overlap');
    const write: ReadModelWrite = {
      collection: 'document_requirements',
      id,
      onInsert: { metadata: {}, status: 'AWAITING_UPLOAD', 'applied.case': 1 },
      set: { 'metadata.file': 'x.pdf', status: 'UPLOADED' },
    };
    expect(toReadModelUpdate(write)?.update.$setOnInsert).to.deep.equal({ 'applied.case': 1, id });

    await apply([write]);
    await apply([{ ...write, set: { 'metadata.other': 1 } }]);

    expect(await requirement(id)).to.deep.equal({ id, metadata: { file: 'x.pdf', other: 1 }, status: 'UPLOADED', applied: { case: 1 } });
  });

  it('inserts the documents concurrent callers create with one insertMany per collection, keeping the order of their writes', async () => {
    const id = freshId('order');
    const insertMany = sinon.spy(Collection.prototype, 'insertMany');
    const writes = (n: number): ReadModelWrite[] => [
      { collection: 'document_requirements', id, onInsert: { notes: [] }, set: { last: n }, push: { notes: [n] } },
    ];
    const person = (n: number): ReadModelWrite[] => [{ collection: 'persons', id: `${id}-p${n}`, set: { n } }];

    await Promise.all([1, 2, 3, 4, 5].map((n) => apply([...writes(n), ...person(n)])));

    expect(insertMany.callCount).to.equal(2);
    expect(insertMany.getCalls().map((c) => (c.thisValue as Collection).collectionName).sort()).to.deep.equal([
      'document_requirements',
      'persons',
    ]);
    expect(await requirement(id)).to.deep.equal({ id, notes: [1, 2, 3, 4, 5], last: 5 });
    expect(await t.db.collection('persons').countDocuments({ id: { $regex: `^${id}-p` } })).to.equal(5);
  });

  it('fails only the caller whose write the server refused; the others in the batch are applied', async () => {
    const id = freshId('refused');
    const good = freshId('good');
    await apply([{ collection: 'persons', id, set: { tags: 'not-an-array' } }]);

    const [bad, ok] = await Promise.allSettled([
      apply([{ collection: 'persons', id, set: {}, push: { tags: ['x'] } }]), // $push to a string: refused
      apply([{ collection: 'persons', id: good, set: { n: 1 } }]),
    ]);

    expect(bad.status).to.equal('rejected');
    expect(ok.status).to.equal('fulfilled');
    expect((await documentsOf(t.db, 'persons', { id: good }))[0]).to.deep.equal({ id: good, n: 1 });
  });

  it('lets two writers (two MongoClients) upsert the same documents at once without losing a write or duplicating a document', async () => {
    const other = await t.connectAnother();
    const storeB = createMongoReadModelStore(other.db, { guards });
    const ids = Array.from({ length: 100 }, () => freshId('upsert-race'));
    const write = (id: string, by: string): ReadModelWrite[] => [
      { collection: 'cases', id, onInsert: { created_by: by }, set: { [`seen.${by}`]: true } },
    ];

    await Promise.all(ids.flatMap((id) => [apply(write(id, 'a')), apply(write(id, 'b'), storeB)]));

    // One read of them all: on FerretDB every query scans the collection.
    const all = await documentsOf(t.db, 'cases', { id: { $in: ids } });
    for (const id of ids) {
      const docs = all.filter((d) => d.id === id);
      expect(docs, id).to.have.length(1);
      expect(docs[0]?.created_by).to.be.oneOf(['a', 'b']);
      expect(docs[0]?.seen, id).to.deep.equal({ a: true, b: true });
    }
  });
}),
);
