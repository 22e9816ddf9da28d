import { expect } from 'chai';
import { Collection } from 'mongodb';
import { firstValueFrom } from 'rxjs';
import sinon from 'sinon';
import type { DomainEvent } from '../../../src/domain/events.js';
import { projectEvents, type ReadModelWrite } from '../../../src/domain/projections.js';
import { createMongoReadModelStore, toReadModelUpdate } from '../../../src/infra/mongo/readModelStore.js';
import type { ReadModelStore } from '../../../src/streams/ports.js';
import { kybCase } from '../../contract/fixtures.js';
import { documentsOf, forEachServerMode, freshId, guardsOf, useTestDatabase } from './support.js';

/** How many update operations the spied bulkWrite calls carried (insertMany goes through bulkWrite too). */
const updatesIn = (bulkWrite: sinon.SinonSpy): number =>
  bulkWrite
    .getCalls()
    .reduce((n, call) => n + (call.args[0] as object[]).filter((op) => 'updateOne' in op || 'updateMany' in op).length, 0);

// Every behaviour holds on both paths: guards checked by the server (MongoDB) and by casestream (FerretDB).
// The rules every ReadModelStore keeps are in test/contract (run by storeContracts.int.spec.ts); here,
// what only this adapter does: its documents, the reads and updates it spares, batching, refusals, races.
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

    it('stores read-model documents under _id = id', async () => {
      const id = freshId('underscore-id');
      await apply([{ collection: 'companies', id, set: { n: 1 } }]);

      expect(await t.db.collection('companies').findOne({ _id: id as never }, { projection: { id: 1 } })).to.deep.equal({ _id: id, id });
    });

    it('reads no document first when the writes project events stored just now (firstTime)', async () => {
      const { events, requirementId, statusUpdate, caseVersion } = kybCase(freshId('first-time'));
      const findOne = sinon.spy(Collection.prototype, 'findOne');
      const find = sinon.spy(Collection.prototype, 'find');

      await firstValueFrom(store.apply(projectEvents(events), { firstTime: true }));
      await firstValueFrom(store.apply(projectEvents([statusUpdate(caseVersion + 1, { notes_added: ['received'] })]), { firstTime: true }));

      expect(findOne.callCount + find.callCount, 'reads').to.equal(0);
      sinon.restore();
      expect(await requirement(requirementId)).to.deep.include({ status: 'UPLOADED', notes: ['received'] });
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

    it('leaves out of $setOnInsert the paths that set also writes (or a parent of them), which both servers would refuse', () => {
      const write: ReadModelWrite = {
        collection: 'document_requirements',
        id: 'd-1',
        onInsert: { metadata: {}, status: 'AWAITING_UPLOAD', 'applied.case': 1 },
        set: { 'metadata.file': 'x.pdf', status: 'UPLOADED' },
      };

      expect(toReadModelUpdate(write)?.update.$setOnInsert).to.deep.equal({ 'applied.case': 1, id: 'd-1' });
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
      expect(
        insertMany
          .getCalls()
          .map((c) => (c.thisValue as Collection).collectionName)
          .sort(),
      ).to.deep.equal(['document_requirements', 'persons']);
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
