import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { contentHash } from '../../../src/domain/contentHash.js';

const first128Bits = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest().subarray(0, 16).toString('base64url');

describe('contentHash', () => {
  it("is the first 128 bits of the value's SHA-256 in base64url: 22 characters", () => {
    for (const value of ['{"client_id":"c-1"}', 'é😀', 'x'.repeat(100_000)]) {
      const bytes = Buffer.from(value);
      expect(contentHash(bytes)).to.equal(first128Bits(bytes)).and.to.have.length(22);
    }
  });

  it('agrees with node:crypto on a thousand values of every length up to 2 KB', () => {
    for (let n = 0; n < 1_000; n++) {
      const bytes = Buffer.from(Array.from({ length: (n * 37) % 2_048 }, (_, i) => (i * 131 + n) & 0xff));
      expect(contentHash(bytes), `${bytes.length} bytes`).to.equal(first128Bits(bytes));
    }
  });

  it('hashes a record without a value as no bytes', () => {
    expect(contentHash(null)).to.equal(first128Bits(new Uint8Array())).and.to.equal(contentHash(new Uint8Array()));
  });

  it('tells values apart by their exact bytes, not their parsed content', () => {
    expect(contentHash(Buffer.from('{"a":1}'))).to.not.equal(contentHash(Buffer.from('{"a": 1}')));
  });
});
