import { expect } from 'chai';
import { applyWrite, type ReadModelWrite } from '../../../src/domain/projections.js';

const create: ReadModelWrite = {
  collection: 'document_requirements',
  id: 'd1',
  onInsert: { status: 'AWAITING_UPLOAD', notes: [], 'applied.case': 3 },
  set: {},
};
const update = (version: number, status: string): ReadModelWrite => ({
  collection: 'document_requirements',
  id: 'd1',
  set: { status, 'metadata.pages': version, 'applied.case': version },
  push: { notes: [`v${version}`] },
  guard: { stream: 'case', version },
});

describe('applyWrite', () => {
  it('creates a document from nothing with its id, insert-only fields and dotted paths as nested fields', () => {
    expect(applyWrite(undefined, create)).to.deep.equal({ id: 'd1', status: 'AWAITING_UPLOAD', notes: [], applied: { case: 3 } });
  });

  it('applies a guarded write once: a newer version changes the document, the same or an older one does not', () => {
    const created = applyWrite(undefined, create);
    const updated = applyWrite(created, update(5, 'UPLOADED'));
    expect(updated).to.deep.equal({ id: 'd1', status: 'UPLOADED', notes: ['v5'], applied: { case: 5 }, metadata: { pages: 5 } });
    expect(applyWrite(updated, update(5, 'UPLOADED'))).to.deep.equal(updated);
    expect(applyWrite(updated, update(4, 'REJECTED'))).to.deep.equal(updated);
  });

  it('never creates a document from a guarded write', () => {
    expect(applyWrite(undefined, update(5, 'UPLOADED'))).to.equal(undefined);
  });

  it('leaves insert-only fields alone on a document that exists', () => {
    const created = applyWrite(undefined, create)!;
    expect(applyWrite(created, { ...create, onInsert: { status: 'OTHER' } })).to.deep.equal(created);
  });

  it('raises an applied version but never lowers it, so a redelivered older event cannot re-open guarded writes', () => {
    const person = (version: number): ReadModelWrite => ({
      collection: 'persons',
      id: 'p1',
      set: { firstname: 'Ada' },
      max: { 'applied.case': version },
    });
    const atFive = applyWrite(undefined, person(5));
    expect(atFive).to.deep.equal({ id: 'p1', firstname: 'Ada', applied: { case: 5 } });
    expect(applyWrite(atFive, person(2))).to.deep.equal(atFive);
    expect(applyWrite(atFive, person(7))).to.deep.equal({ id: 'p1', firstname: 'Ada', applied: { case: 7 } });
  });

  it('does not change the document it is given', () => {
    const created = applyWrite(undefined, create)!;
    const copy = structuredClone(created);
    applyWrite(created, update(9, 'VERIFIED_MANUAL'));
    expect(created).to.deep.equal(copy);
  });
});
