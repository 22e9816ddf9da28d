import { expect } from 'chai';
import { CASESTREAM_NAMESPACE, idFor, uuidV5 } from '../../../src/domain/deterministicId.js';

const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV5', () => {
  it('matches the well-known RFC 4122 vector for "www.example.com" in the DNS namespace', () => {
    expect(uuidV5('www.example.com', DNS)).to.equal('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('matches the Python uuid.uuid5 vector for "python.org" in the DNS namespace', () => {
    expect(uuidV5('python.org', DNS)).to.equal('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('hashes a non-ASCII name as UTF-8, as other v5 implementations do', () => {
    // Reference value from Python: uuid.uuid5(uuid.NAMESPACE_URL, 'https://example.com/café')
    expect(uuidV5('https://example.com/café', URL)).to.equal('60c2a4cb-5b0b-59bf-a9a3-ad819ea730d0');
  });

  it('accepts an empty name', () => {
    // Reference value from Python: uuid.uuid5(uuid.NAMESPACE_DNS, '')
    expect(uuidV5('', DNS)).to.equal('4ebd0208-8328-5d69-8c44-ec50939c0967');
  });

  it('gives the same id every time for the same name and namespace', () => {
    expect(uuidV5('key-1|case', DNS)).to.equal(uuidV5('key-1|case', DNS));
  });

  it('gives different ids for different names', () => {
    expect(uuidV5('key-1|case', DNS)).to.not.equal(uuidV5('key-2|case', DNS));
  });

  it('gives different ids for the same name in different namespaces', () => {
    expect(uuidV5('key-1|case', DNS)).to.not.equal(uuidV5('key-1|case', URL));
  });

  it('uses the casestream namespace when none is given', () => {
    expect(uuidV5('key-1|case')).to.equal(uuidV5('key-1|case', CASESTREAM_NAMESPACE));
    // Reference value from Python: uuid.uuid5(uuid.UUID(CASESTREAM_NAMESPACE), 'key-1|case')
    expect(uuidV5('key-1|case')).to.equal('55f025dd-5513-5f92-93b3-1b7340a7c0e5');
  });

  it('always sets the version nibble to 5 and the RFC 4122 variant bits, in lower-case canonical form', () => {
    for (let i = 0; i < 200; i++) {
      const id = uuidV5(`name-${i}`, i % 2 === 0 ? DNS : URL);
      expect(id).to.match(UUID_V5);
      expect(id[14]).to.equal('5');
      expect(parseInt(id[19]!, 16) & 0b1100).to.equal(0b1000);
    }
  });

  it('has a casestream namespace that is itself a well-formed version-5 UUID', () => {
    expect(CASESTREAM_NAMESPACE).to.match(UUID_V5);
  });
});

describe('idFor', () => {
  it('gives the same id for the same key and parts', () => {
    expect(idFor('key-1', 'person', 0)).to.equal(idFor('key-1', 'person', 0));
  });

  it('gives different ids for different keys', () => {
    expect(idFor('key-1', 'case')).to.not.equal(idFor('key-2', 'case'));
  });

  it('gives different ids for different parts under the same key', () => {
    const ids = [
      idFor('key-1', 'case'),
      idFor('key-1', 'company'),
      idFor('key-1', 'command'),
      idFor('key-1', 'person', 0),
      idFor('key-1', 'person', 1),
      idFor('key-1', 'beneficial_owner', 0),
    ];
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('returns a version-5 UUID', () => {
    expect(idFor('key-1', 'case')).to.match(UUID_V5);
  });
});
