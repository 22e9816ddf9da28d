import { expect } from 'chai';
import fc from 'fast-check';
import { applyWrite, projectEvents, type ReadModelWrite } from '../../../src/domain/projections.js';
import { createdDocument } from '../../../src/infra/mongo/createdDocument.js';
import { splitWrites } from '../../../src/infra/mongo/readModelStore.js';
import { kybCase } from '../../contract/fixtures.js';

/** What folding the writes with applyWrite from no document gives, `_id` last, as the store inserted it before. */
const folded = (id: string, writes: readonly ReadModelWrite[]) => ({
  ...writes.reduce<Record<string, unknown> | undefined>((doc, w) => applyWrite(doc, w), undefined),
  _id: id,
});

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};

/** Field paths as projections write them: plain names, dotted paths into objects, a few shared by several writes. */
const path = fc.oneof(
  fc.constantFrom('status', 'notes', 'applied', 'metadata', 'created_at'),
  fc.constantFrom('applied.case', 'applied.company', 'metadata.pages', 'metadata.a.b'),
);
const value = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -5, max: 5 }),
  fc.string({ maxLength: 3 }),
  fc.constant([]),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom('a', 'b', 'case'), fc.integer(), { maxKeys: 2 }),
);
const fields = fc.dictionary(path, value, { maxKeys: 4 });
const unguardedWrite = fc.record(
  {
    onInsert: fields,
    set: fields,
    max: fc.dictionary(path, fc.integer({ min: -5, max: 5 }), { maxKeys: 2 }),
    push: fc.dictionary(path, fc.array(fc.integer(), { maxLength: 2 }), { maxKeys: 2 }),
  },
  { requiredKeys: ['set'] },
);

/** The fields of a document in order, nested objects included: the order the driver serialises them in. */
const layout = (v: unknown): unknown =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.entries(v).map(([k, x]) => [k, layout(x)]) : v;

describe('createdDocument (the read-model documents a batch inserts)', () => {
  it('builds what folding the writes with applyWrite gives, with the same fields in the same order, `_id` last', () => {
    fc.assert(
      fc.property(fc.array(unguardedWrite, { minLength: 1, maxLength: 4 }), (parts) => {
        const writes = parts.map((p): ReadModelWrite => ({ collection: 'document_requirements', id: 'd1', ...p }));
        const doc = createdDocument('d1', writes);
        expect(doc).to.deep.equal(folded('d1', writes));
        expect(layout(doc)).to.deep.equal(layout(folded('d1', writes)));
      }),
      { numRuns: 500 },
    );
  });

  it("never changes the writes' own values (a nested object or array written is copied before it changes)", () => {
    fc.assert(
      fc.property(fc.array(unguardedWrite, { minLength: 1, maxLength: 4 }), (parts) => {
        const writes = deepFreeze(parts.map((p): ReadModelWrite => ({ collection: 'persons', id: 'p1', ...p })));
        expect(() => createdDocument('p1', writes)).not.to.throw();
      }),
      { numRuns: 500 },
    );
  });

  it("makes the same documents as applyWrite for a whole KYB case's projection", () => {
    const items = projectEvents(kybCase('created-document').events).map((write) => ({ write }));
    const byCollection = new Map<string, { write: ReadModelWrite }[]>();
    for (const item of items) byCollection.set(item.write.collection, [...(byCollection.get(item.write.collection) ?? []), item]);

    for (const collectionItems of byCollection.values()) {
      for (const [id, { doc, items: made }] of splitWrites(collectionItems).created) {
        expect(layout(doc)).to.deep.equal(
          layout(
            folded(
              id,
              made.map((i) => i.write),
            ),
          ),
        );
      }
    }
  });
});
