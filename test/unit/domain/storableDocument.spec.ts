import { expect } from 'chai';
import { decodeCaseCommand } from '../../../src/domain/caseCommand.js';
import { MAX_DOCUMENT_DEPTH, unstorableBecause } from '../../../src/domain/storableDocument.js';

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { n: nested(depth - 1) });

describe('unstorableBecause', () => {
  it('accepts ordinary JSON objects, arrays of objects and arrays of scalars', () => {
    expect(unstorableBecause({ a: 1, b: [1, 'x', { c: [true] }], d: null })).to.equal(null);
  });

  it('refuses an array directly inside an array', () => {
    expect(unstorableBecause({ matrix: [[1, 2]] })).to.equal('has an array directly inside an array');
  });

  it('refuses keys that MongoDB reads as operators or paths', () => {
    expect(unstorableBecause({ $where: 1 })).to.match(/key that starts with \$/);
    expect(unstorableBecause({ inner: { 'a.b': 1 } })).to.match(/contains a dot/);
  });

  it('refuses numbers that are not finite, which JSON.parse makes of 1e999', () => {
    expect(unstorableBecause(JSON.parse('{"owners":[{"ownership_percentage":1e999}]}'))).to.equal('has a number that is not finite');
    expect(unstorableBecause({ n: -Infinity })).to.equal('has a number that is not finite');
  });

  it('refuses nesting beyond the limit and accepts it up to the limit', () => {
    expect(unstorableBecause(nested(MAX_DOCUMENT_DEPTH))).to.equal(null);
    expect(unstorableBecause(nested(MAX_DOCUMENT_DEPTH + 1))).to.equal(`nests deeper than ${MAX_DOCUMENT_DEPTH} levels`);
  });
});

describe('a status update with metadata that cannot be stored', () => {
  it('is rejected at decoding, naming $.metadata_changes', () => {
    const decoded = decodeCaseCommand({
      command_type: 'UpdateDocumentStatus',
      command_id: 'c',
      case_id: 'k',
      document_requirement_id: 'd',
      new_status: 'UPLOADED',
      metadata_changes: { 'pages.count': 2 },
    });
    expect(decoded._tag).to.equal('Left');
    if (decoded._tag === 'Left')
      expect(decoded.left).to.deep.equal([
        { path: '$.metadata_changes', rule: 'must be storable: it has a key that starts with $ or contains a dot' },
      ]);
  });
});
