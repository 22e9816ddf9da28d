import { expect } from 'chai';
import fc from 'fast-check';
import { idFor, idsFor, type MessageIds } from '../../../src/domain/deterministicId.js';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SEED = 20;

type Part = string | number;
/** Text of any code point (well-formed UTF-16, as keys and parts are). */
const text = fc.string({ unit: 'binary', maxLength: 60 });
const part: fc.Arbitrary<Part> = fc.oneof(text, fc.nat({ max: 100_000 }), fc.constantFrom('event', 'person', 'document', '0', '1'));
/** A label and its parts (at most two), as `ids.of` takes them. */
const named = fc.tuple(fc.constantFrom('case', 'event', 'person', 'document', 'notification', 'raw'), fc.array(part, { maxLength: 2 }));
type Named = [string, Part[]];
/** Two names are the same thing when their label and parts are, a number never being its text. */
const sameThing = ([label, parts]: Named): string => JSON.stringify([label, ...parts]);
const idOf = (ids: MessageIds, [label, parts]: Named): string => ids.of(label, parts[0], parts[1]);

describe('idsFor', () => {
  it('gives the same id for the same key and parts every time, whatever was asked in between (a redelivery creates nothing new)', () => {
    fc.assert(
      fc.property(text, named, text, named, (key, thing, otherKey, otherThing) => {
        const first = idOf(idsFor(key), thing);
        idOf(idsFor(otherKey), otherThing);
        expect(idOf(idsFor(key), thing)).to.equal(first);
        expect(idFor(key, thing[0], thing[1][0], thing[1][1])).to.equal(first);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('gives a series the ids `of` gives, however long its first part and whatever is asked between its ids', () => {
    fc.assert(
      fc.property(
        text,
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.array(part, { minLength: 1, maxLength: 5 }),
        named,
        (key, first, seconds, other) => {
          const ids = idsFor(key);
          const series = ids.series('event', first);
          for (const second of seconds) {
            idOf(idsFor(`${key}-other`), other);
            expect(series(second)).to.equal(ids.of('event', first, second));
          }
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('gives thousands of different things of one message thousands of different ids', () => {
    fc.assert(
      fc.property(text, fc.uniqueArray(named, { minLength: 2_000, maxLength: 3_000, selector: sameThing }), (key, things) => {
        const ids = idsFor(key);
        expect(new Set(things.map((thing) => idOf(ids, thing))).size).to.equal(things.length);
      }),
      { seed: SEED, numRuns: 10 },
    );
  });

  it('gives the same thing of thousands of different messages different ids', () => {
    fc.assert(
      fc.property(fc.uniqueArray(text, { minLength: 2_000, maxLength: 3_000 }), named, (keys, thing) => {
        expect(new Set(keys.map((key) => idOf(idsFor(key), thing))).size).to.equal(keys.length);
      }),
      { seed: SEED, numRuns: 10 },
    );
  });

  it('gives every id of a busy case creation its own value: 2,000 persons, their documents and 10,000 events', () => {
    const ids = idsFor('kyc_events/3/1041');
    const [caseId, companyId] = [ids.of('case'), ids.of('company')];
    const all = [caseId, companyId, ids.of('command'), ids.of('notification'), ids.of('raw')];
    for (let i = 0; i < 2_000; i++) {
      const person = ids.of('person', i);
      all.push(
        person,
        ids.of('beneficial_owner', i),
        ids.of('document', person, 'PASSPORT'),
        ids.of('document', person, 'PROOF_OF_ADDRESS'),
      );
    }
    for (let version = 1; version <= 5_000; version++) all.push(ids.of('event', caseId, version), ids.of('event', companyId, version));
    expect(new Set(all).size).to.equal(all.length);
  });

  it('returns RFC 9562 version-8 UUIDs in lower-case canonical form: version 8, variant binary 10', () => {
    fc.assert(
      fc.property(text, named, (key, thing) => {
        expect(idOf(idsFor(key), thing)).to.match(UUID_V8);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it('tells a number from its text, and parts from the same characters split otherwise', () => {
    const ids = idsFor('key-1');
    const distinct = [
      ids.of('person', 1),
      ids.of('person', '1'),
      ids.of('person'),
      ids.of('person', ''),
      ids.of('person', 1, 2),
      ids.of('person', 12),
      ids.of('person|1'),
      ids.of('pers', 'on', 1),
      ids.of('event', 'ab', 'c'),
      ids.of('event', 'a', 'bc'),
    ];
    expect(new Set(distinct).size).to.equal(distinct.length);
  });

  it('hashes long and non-ASCII keys and parts as UTF-8, and is unchanged by them afterwards', () => {
    const before = idsFor('key-1').of('case');
    const long = idsFor('ü'.repeat(3_000)).of('document', 'é'.repeat(10_000), '😀'.repeat(2_000));
    expect(long).to.match(UUID_V8);
    expect(idsFor('ü'.repeat(3_000)).of('document', 'é'.repeat(10_000), '😀'.repeat(2_000))).to.equal(long);
    expect(idsFor('ü'.repeat(3_000)).of('document', 'é'.repeat(10_000), '😀'.repeat(1_999))).to.not.equal(long);
    expect(idsFor('key-1').of('case')).to.equal(before);
  });

  it('matches an independent implementation of the scheme', () => {
    // Reference values from Python: hashlib.sha256 of the namespace and key, then a port of the
    // reference MurmurHash3_x86_128 seeded with the digest's first four big-endian words.
    expect(idFor('key-1', 'case')).to.equal('441d6765-078c-8e15-bd13-19019eef3e4b');
    expect(idFor('key-1', 'person', 0)).to.equal('d206add5-1b5d-802b-b91f-1cf2a66dd50a');
    expect(idFor('kyc_events/0/7', 'event', '0b7d6a8e-1c1f-8a55-9d2e-6f3c1b2a4d5e', 12)).to.equal('9849f333-6d77-8f4c-a10f-ded165d4a172');
    expect(idFor('clé-ü', 'document', 'entité', 'PASSPORT')).to.equal('59921e53-0b6d-87f4-aeb1-148fc9451c12');
  });

  it('keeps the key it was made for', () => {
    expect(idsFor('kyc_events/0/7').key).to.equal('kyc_events/0/7');
  });
});

describe('idFor', () => {
  it("is one of the message's ids", () => {
    expect(idFor('key-1', 'person', 0)).to.equal(idsFor('key-1').of('person', 0));
    expect(idFor('key-1', 'case')).to.not.equal(idFor('key-2', 'case'));
  });
});
