import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import type { DomainEvent } from '../../src/domain/events.js';
import { applyWrite, projectEvents, ReadModelNames, type ReadModelName, type ReadModelWrite } from '../../src/domain/projections.js';
import type { ReadModelApplyOptions, ReadModelStore } from '../../src/streams/ports.js';
import type { MakeStore } from './eventStoreContract.js';
import { freshId, kybCase } from './fixtures.js';

type Doc = Record<string, unknown>;

export interface ReadModelStoreUnderTest {
  readonly store: ReadModelStore;
  /**
   * One document as stored now, without what only the storage adds (MongoDB's `_id`); undefined
   * when there is none. A snapshot: later writes do not change a document already read.
   */
  read(collection: ReadModelName, id: string): Promise<Doc | undefined>;
}

/** The documents `writes` make from nothing, by `applyWrite`: the meaning every store must give them. */
const expectedDocuments = (
  writes: readonly ReadModelWrite[],
): Map<string, { collection: ReadModelName; id: string; doc: Doc | undefined }> => {
  const docs = new Map<string, { collection: ReadModelName; id: string; doc: Doc | undefined }>();
  for (const w of writes) {
    const key = `${w.collection}/${w.id}`;
    docs.set(key, { collection: w.collection, id: w.id, doc: applyWrite(docs.get(key)?.doc, w) });
  }
  return docs;
};

/**
 * The rules of the ReadModelStore port (src/streams/ports.ts, the write vocabulary of
 * src/domain/projections.ts), declared once and run against every implementation that keeps
 * documents: the MongoDB adapter (each server path) and the test fakes.
 */
export const readModelStoreContract = (name: string, makeStore: MakeStore<ReadModelStoreUnderTest>): void => {
  describe(`${name} keeps the ReadModelStore contract`, () => {
    let underTest: ReadModelStoreUnderTest;
    const apply = (writes: readonly ReadModelWrite[], options?: ReadModelApplyOptions): Promise<void> =>
      firstValueFrom(underTest.store.apply(writes, options), { defaultValue: undefined });
    const project = (events: readonly DomainEvent[]) => apply(projectEvents(events));
    const read = (collection: ReadModelName, id: string) => underTest.read(collection, id);
    /** Every document the writes touch, as stored now. */
    const snapshot = async (writes: readonly ReadModelWrite[]) =>
      Promise.all([...expectedDocuments(writes).values()].map(async ({ collection, id }) => [collection, id, await read(collection, id)]));

    beforeEach(async () => {
      underTest = await makeStore();
    });

    describe('writes', () => {
      it('creates a document on its first write, with its id, insert-only, set and raised fields', async () => {
        const { cmd, events } = kybCase(freshId('create'));
        const created = events.find((e) => e.event_type === 'CaseCreated');
        if (created?.event_type !== 'CaseCreated') throw new Error('fixture has no CaseCreated');

        await project([created]);

        expect(await read('cases', cmd.case_id)).to.deep.equal({
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
        expect(created.payload.company_id, 'a KYB case names its company').to.be.a('string');
      });

      // FerretDB v1 drops such values from $setOnInsert: the MongoDB adapter writes them another way.
      it('stores null and empty-array insert-only values as given', async () => {
        const id = freshId('nulls');
        const write: ReadModelWrite = {
          collection: 'persons',
          id,
          onInsert: { company_id: null, birthdate: null, tags: [], 'nested.value': null, kept: { inner: null, list: [] } },
          set: { firstname: 'Ada' },
        };

        await apply([write]);
        const inserted = await read('persons', id);
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
        expect(await read('persons', id)).to.include({ company_id: 'c-1', birthdate: null });
        expect((await read('persons', id))?.tags).to.deep.equal(['t']);
      });

      it('leaves insert-only fields alone on a document that exists, and writes the set fields again', async () => {
        const id = freshId('exists');
        await apply([{ collection: 'companies', id, onInsert: { name: 'First', city: 'Paris' }, set: { seen: 1 } }]);

        await apply([{ collection: 'companies', id, onInsert: { name: 'Second', country: 'FR' }, set: { seen: 2 } }]);

        expect(await read('companies', id)).to.deep.equal({ id, name: 'First', city: 'Paris', seen: 2 });
      });

      it('appends pushed values after the earlier ones, in event order', async () => {
        const { events, requirementId, statusUpdate, caseVersion } = kybCase(freshId('notes'));
        await project(events);

        await project([
          statusUpdate(caseVersion + 1, { notes_added: ['one', 'two'] }),
          statusUpdate(caseVersion + 2, { new_status: 'VERIFIED_MANUAL', old_status: 'UPLOADED', notes_added: ['three'] }),
        ]);

        expect((await read('document_requirements', requirementId))?.notes).to.deep.equal(['one', 'two', 'three']);
      });

      it('merges dotted paths into their object instead of replacing it', async () => {
        const { events, requirementId, statusUpdate, caseVersion } = kybCase(freshId('meta'));
        await project(events);

        await project([statusUpdate(caseVersion + 1, { metadata_update: { file: 'id.pdf', pages: 2 } })]);
        await project([statusUpdate(caseVersion + 2, { metadata_update: { checked_by: 'ops', pages: 3 } })]);

        expect((await read('document_requirements', requirementId))?.metadata).to.deep.equal({
          file: 'id.pdf',
          pages: 3,
          checked_by: 'ops',
        });
      });

      it('writes a path given both onInsert and set (or a parent of it) once, with the set value', async () => {
        const id = freshId('overlap');
        const write: ReadModelWrite = {
          collection: 'document_requirements',
          id,
          onInsert: { metadata: {}, status: 'AWAITING_UPLOAD', 'applied.case': 1 },
          set: { 'metadata.file': 'x.pdf', status: 'UPLOADED' },
        };

        await apply([write]);
        await apply([{ ...write, set: { 'metadata.other': 1 } }]);

        expect(await read('document_requirements', id)).to.deep.equal({
          id,
          metadata: { file: 'x.pdf', other: 1 },
          status: 'UPLOADED',
          applied: { case: 1 },
        });
      });

      it("applies concurrent calls in the order they were made, each call's writes in order", async () => {
        const id = freshId('order');
        const calls = [1, 2, 3, 4, 5].map((n): ReadModelWrite[] => [
          { collection: 'document_requirements', id, onInsert: { notes: [] }, set: { last: n }, push: { notes: [n] } },
          { collection: 'document_requirements', id, set: {}, push: { notes: [`${n}b`] }, guard: { stream: 'case', version: n } },
          { collection: 'persons', id: `${id}-p${n}`, set: { n } },
        ]);

        await Promise.all(calls.map((writes) => apply(writes)));

        expect(await read('document_requirements', id)).to.deep.equal({
          id,
          notes: [1, '1b', 2, '2b', 3, '3b', 4, '4b', 5, '5b'],
          last: 5,
        });
        expect(await Promise.all([1, 2, 3, 4, 5].map((n) => read('persons', `${id}-p${n}`)))).to.deep.equal(
          [1, 2, 3, 4, 5].map((n) => ({ id: `${id}-p${n}`, n })),
        );
      });
    });

    describe('idempotence', () => {
      it('changes nothing when the same writes are applied again (replay)', async () => {
        const { events, statusUpdate, caseVersion } = kybCase(freshId('replay'));
        const all = [...events, statusUpdate(caseVersion + 1, { notes_added: ['n1'], metadata_update: { k: 1 } })];
        await project(all);
        const once = await snapshot(projectEvents(all));

        await project(all);
        await project(all.slice(2));

        expect(await snapshot(projectEvents(all))).to.deep.equal(once);
      });

      it('never moves a recorded version back when an older event is redelivered after newer ones', async () => {
        const { cmd, events } = kybCase(freshId('older-again'));
        await project(events);
        const once = await snapshot(projectEvents(events));
        await apply([{ collection: 'cases', id: cmd.case_id, set: {}, max: { 'applied.case': 40 } }]);

        await project(events);

        expect((await read('cases', cmd.case_id))?.applied).to.deep.equal({ case: 40 });
        const persons = (s: Awaited<ReturnType<typeof snapshot>>) => s.filter(([collection]) => collection === 'persons');
        expect(persons(await snapshot(projectEvents(events)))).to.deep.equal(persons(once));
      });
    });

    describe('guards', () => {
      it('applies a guarded write once, and ignores it (and any older version) afterwards', async () => {
        const { events, requirementId, statusUpdate, caseVersion } = kybCase(freshId('guard'));
        await project(events);
        const v = caseVersion + 1;

        await project([statusUpdate(v, { notes_added: ['first'] })]);
        const afterOnce = await read('document_requirements', requirementId);
        await project([statusUpdate(v, { notes_added: ['first'] })]);
        await project([statusUpdate(v - 1, { new_status: 'REJECTED', notes_added: ['older'] })]);

        expect(afterOnce).to.include({ status: 'UPLOADED' });
        expect(afterOnce?.applied).to.deep.equal({ case: v });
        expect(afterOnce?.notes).to.deep.equal(['first']);
        expect(await read('document_requirements', requirementId)).to.deep.equal(afterOnce);
      });

      it('applies a guarded write to a document that has no applied version yet', async () => {
        const id = freshId('no-applied');
        await apply([{ collection: 'document_requirements', id, onInsert: { case_id: 'c', status: 'AWAITING_UPLOAD' }, set: {} }]);

        await apply([{ collection: 'document_requirements', id, set: { status: 'UPLOADED' }, guard: { stream: 'case', version: 3 } }]);

        expect(await read('document_requirements', id)).to.deep.equal({ id, case_id: 'c', status: 'UPLOADED' });
      });

      it('does not create a document for a guarded write whose document does not exist', async () => {
        const id = freshId('missing');

        await apply([{ collection: 'document_requirements', id, set: { status: 'UPLOADED' }, guard: { stream: 'case', version: 9 } }]);

        expect(await read('document_requirements', id)).to.equal(undefined);
      });
    });

    describe('first-time writes (ReadModelApplyOptions.firstTime)', () => {
      for (const firstTime of [false, true])
        it(`stores what the write vocabulary means for a whole KYB case and its status updates${firstTime ? ', its writes applied for the first time' : ''}`, async () => {
          const { events, statusUpdate, caseVersion } = kybCase(freshId('whole-case'));
          const later = [
            statusUpdate(caseVersion + 1, { metadata_update: { file: 'a.pdf' }, notes_added: ['received'] }),
            statusUpdate(caseVersion + 2, { new_status: 'VERIFIED_MANUAL', old_status: 'UPLOADED', notes_added: ['ok'] }),
          ];
          const expected = expectedDocuments(projectEvents([...events, ...later]));

          await apply(projectEvents(events), { firstTime });
          await apply(projectEvents(later), { firstTime });

          const collections = new Set([...expected.values()].map((e) => e.collection));
          expect([...collections].sort(), 'the fixture writes every read model').to.deep.equal([...ReadModelNames].sort());
          for (const { collection, id, doc } of expected.values())
            expect(await read(collection, id), `${collection} ${id}`).to.deep.equal(doc);
        });

      it('lets a first-time write update a document another stream created, keeping its insert-only fields', async () => {
        const id = freshId('linked');
        await apply(
          [
            {
              collection: 'persons',
              id,
              onInsert: { company_id: null, created_at: 'by case' },
              set: { case_id: 'c-1', firstname: 'Ada' },
              max: { 'applied.case': 2 },
            },
          ],
          { firstTime: true },
        );

        await apply(
          [
            {
              collection: 'persons',
              id,
              onInsert: { case_id: 'c-2', firstname: 'Other', created_at: 'by company' },
              set: { company_id: 'co-1' },
              max: { 'applied.company': 1 },
            },
          ],
          { firstTime: true },
        );

        expect(await read('persons', id)).to.deep.equal({
          id,
          case_id: 'c-1',
          firstname: 'Ada',
          company_id: 'co-1',
          created_at: 'by case',
          applied: { case: 2, company: 1 },
        });
      });

      it('creates no document for a first-time guarded write whose document does not exist', async () => {
        const id = freshId('missing-first');

        await apply([{ collection: 'document_requirements', id, set: { status: 'UPLOADED' }, guard: { stream: 'case', version: 4 } }], {
          firstTime: true,
        });

        expect(await read('document_requirements', id)).to.equal(undefined);
      });
    });
  });
};
