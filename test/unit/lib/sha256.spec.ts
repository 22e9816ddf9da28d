import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { sha256Words } from '../../../src/lib/sha256.js';

const hexOf = (words: Int32Array): string =>
  Array.from(words)
    .map((w) => (w >>> 0).toString(16).padStart(8, '0'))
    .join('');
const expected = (prefix: Uint8Array, text: string): string => createHash('sha256').update(prefix).update(text, 'utf8').digest('hex');

describe('sha256Words', () => {
  it('gives the FIPS 180 digest of "abc"', () => {
    expect(hexOf(sha256Words(new Uint8Array(0), 'abc'))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('agrees with node:crypto at every length around the 64-byte block and padding boundaries', () => {
    const prefix = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    for (let n = 0; n <= 200; n++) {
      const text = 'k'.repeat(n);
      expect(hexOf(sha256Words(prefix, text)), `length ${n}`).to.equal(expected(prefix, text));
    }
  });

  it('agrees with node:crypto on multi-byte UTF-8, surrogate pairs and long texts', () => {
    const prefix = Uint8Array.of(1, 2, 3);
    for (const text of ['café', '日本語のテキスト', '😀 emoji 😀', 'ü'.repeat(500), 'x|'.repeat(4000)]) {
      expect(hexOf(sha256Words(prefix, text)), text.slice(0, 20)).to.equal(expected(prefix, text));
    }
  });

  it('agrees with node:crypto on a thousand random texts', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 1000; i++) {
      const text = String.fromCharCode(...Array.from({ length: next() % 150 }, () => 32 + (next() % 0x2fff)));
      expect(hexOf(sha256Words(Uint8Array.of(9), text))).to.equal(expected(Uint8Array.of(9), text));
    }
  });
});
