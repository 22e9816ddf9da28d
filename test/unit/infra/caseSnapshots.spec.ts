import { expect } from 'chai';
import fc from 'fast-check';
import { BSON } from 'mongodb';
import { decodeSnapshot, SNAPSHOT_FORMAT, toSnapshotDocument, type CaseSnapshotDocument } from '../../../src/infra/mongo/caseSnapshots.js';
import { caseSteps, caseStream, foldOf, type Step } from '../../support/caseStreams.js';

/** A document as it comes back from the server: through BSON and back. */
const stored = (doc: CaseSnapshotDocument): unknown => BSON.deserialize(BSON.serialize(doc));

const hasArrayInArray = (value: unknown, inArray = false): boolean => {
  if (Array.isArray(value)) return inArray || value.some((v) => hasArrayInArray(v, true));
  if (typeof value === 'object' && value !== null && !(value instanceof Date))
    return Object.values(value).some((v) => hasArrayInArray(v, false));
  return false;
};

/** A stream of every case event type, the fold of which the test below pins. */
const everyKind: Step[] = [
  ['person', 0, 0, true],
  ['person', 1, 1, false],
  ['document', 0, 1, true],
  ['document', 1, 2, true],
  ['status', 0, 2, true],
  ['status', 7, 2, true],
  ['status', 2, 3, true],
  ['notification', 0, 3, true],
  ['erase', 0, 3, true],
  ['hold', 4, 3, true],
  ['lift', 0, 3, true],
  ['hold', 5, 3, true],
  ['close', 0, 3, true],
];

describe('case snapshots (the codec of case_snapshots)', () => {
  it('reads back, through BSON, the very state the fold of any stream makes, at any of its versions', () => {
    fc.assert(
      fc.property(caseSteps(), fc.nat(), (steps, cut) => {
        const events = caseStream('case-p', steps).slice(0, cut % 32);
        if (events.length === 0) return;
        const state = foldOf('case-p', events);

        const read = decodeSnapshot(stored(toSnapshotDocument(state, events.at(-1)!.event_id)));

        expect(read).to.deep.equal({ state, event_id: events.at(-1)!.event_id });
      }),
      { numRuns: 300 },
    );
  });

  it(`pins what a stream of every case event type folds into: a change to it needs a new SNAPSHOT_FORMAT (now ${SNAPSHOT_FORMAT})`, () => {
    const events = caseStream('case-1', everyKind);

    // If this fails because CaseState or evolveCase changed, bump SNAPSHOT_FORMAT (older snapshots
    // are then folded again from the events) and update the document below.
    expect(toSnapshotDocument(foldOf('case-1', events), events.at(-1)!.event_id)).to.deep.equal({
      _id: 'case-1',
      format: 2,
      version: 14,
      event_id: 'case-1-event-14',
      facts: { client_id: 'client-case-1', case_type: 'STANDARD', traitement_type: 'KYB', company_id: 'case-1-company' },
      creation: { key: 'case-1-key-0', first_person: null },
      person_ids: ['case-1-person-0', 'case-1-person-1'],
      documents: [
        {
          id: 'case-1-document-0',
          entity_id: 'case-1-person-0',
          entity_type: 'PERSON',
          document_type: 'PASSPORT',
          status: 'AWAITING_UPLOAD',
          notes: 0,
        },
        {
          id: 'case-1-document-1',
          entity_id: 'case-1-person-1',
          entity_type: 'PERSON',
          document_type: 'PROOF_OF_ADDRESS',
          status: 'UPLOADED',
          notes: 1,
        },
      ],
      notifications: [{ event_id: 'case-1-event-9', version: 9 }],
      keys: [
        { key: 'case-1-key-0', content_hash: 'hash-0', first: 1, last: 2 },
        { key: 'case-1-key-1', content_hash: null, first: 3, last: 4 },
        { key: 'case-1-key-2', content_hash: 'hash-2', first: 5, last: 7 },
        { key: 'case-1-key-3', content_hash: 'hash-3', first: 8, last: 14 },
      ],
      closed_at: new Date('2026-02-02T08:00:14.000Z'),
      erased: ['person:case-1-person-0'],
      legal_hold: { since: new Date('2026-02-02T08:00:13.000Z'), reason: 'hold 5' },
    });
  });

  it('reads no snapshot from a document of format 1, whose notification ids carry no version: its case is folded from the events', () => {
    const events = caseStream('case-1', everyKind);
    const { notifications: _, ...current } = toSnapshotDocument(foldOf('case-1', events), events.at(-1)!.event_id);

    expect(decodeSnapshot(stored({ ...current, format: 1, notification_ids: ['case-1-event-9'] } as never))).to.equal(undefined);
    expect(decodeSnapshot(stored({ ...current, format: SNAPSHOT_FORMAT, notification_ids: ['case-1-event-9'] } as never))).to.equal(
      undefined,
    );
  });

  it('reads no snapshot from a document whose keys carry no versions (format 2 before it kept them): its case is folded from the events', () => {
    const events = caseStream('case-1', everyKind);
    const { keys, ...current } = toSnapshotDocument(foldOf('case-1', events), events.at(-1)!.event_id);
    const content_hashes = keys.map((k) => ({ key: k.key, content_hash: k.content_hash }));

    expect(decodeSnapshot(stored({ ...current, content_hashes } as never))).to.equal(undefined);
  });

  it('stores no array inside an array, which FerretDB v1 refuses', () => {
    const events = caseStream('case-1', everyKind);

    expect(hasArrayInArray(toSnapshotDocument(foldOf('case-1', events), 'e'))).to.equal(false);
  });

  it('reads no snapshot from nothing, from another format, or from a document that does not decode', () => {
    const events = caseStream('case-1', everyKind);
    const doc = toSnapshotDocument(foldOf('case-1', events), events.at(-1)!.event_id);

    expect(decodeSnapshot(null)).to.equal(undefined);
    expect(decodeSnapshot({ ...doc, format: SNAPSHOT_FORMAT + 1 })).to.equal(undefined);
    expect(decodeSnapshot({ ...doc, version: 0 })).to.equal(undefined);
    expect(decodeSnapshot({ ...doc, documents: [{ ...doc.documents[0], status: 'LOST' }] })).to.equal(undefined);
    expect(decodeSnapshot({ ...doc, closed_at: '2026-02-02' })).to.equal(undefined);
    const { person_ids: _, ...withoutPersons } = doc;
    expect(decodeSnapshot(withoutPersons)).to.equal(undefined);
  });

  it('reads only the fields of the state, whatever else a document holds', () => {
    const events = caseStream('case-1', everyKind);
    const state = foldOf('case-1', events);
    const doc = toSnapshotDocument(state, 'e');

    const read = decodeSnapshot({
      ...doc,
      extra: 1,
      facts: { ...doc.facts, extra: 1 },
      documents: doc.documents.map((d) => ({ ...d, extra: 1 })),
    });

    expect(read?.state).to.deep.equal(state);
  });
});
