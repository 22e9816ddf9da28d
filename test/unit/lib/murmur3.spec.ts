import { expect } from 'chai';
import { murmur3x86x128, murmur3x86x128Blocks } from '../../../src/lib/murmur3.js';

/** h1..h4 as the reference lays them out: each word little-endian (as Python's mmh3.hash_bytes). */
const referenceHex = (h: Int32Array): string => Buffer.from(Uint32Array.from(h).buffer).toString('hex');
const hashOf = (bytes: Uint8Array, seeds: readonly [number, number, number, number]): string =>
  referenceHex(murmur3x86x128(bytes, bytes.length, ...seeds));
const seeded = (seed: number): [number, number, number, number] => [seed, seed, seed, seed];
const upTo = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

describe('murmur3x86x128', () => {
  // Reference values from Python: mmh3.hash_bytes(data, seed, x64arch=False), the reference C code.
  it('gives the reference MurmurHash3_x86_128 when its four seed words are one seed', () => {
    const cases: [Uint8Array, number, string][] = [
      [Buffer.from(''), 0, '00000000000000000000000000000000'],
      [Buffer.from(''), 0x9747b28c, 'a1d5bef71c6a575b1c6a575b1c6a575b'],
      [Buffer.from('a'), 0, '3c9394a71bb056551bb056551bb05655'],
      [Buffer.from('hello'), 0x9747b28c, '715c9390b522293285b598d485b598d4'],
      [Buffer.from('The quick brown fox jumps over the lazy dog'), 0, 'c383152f672ceeec6cf67b5d2c1de9e5'],
      [Buffer.from('The quick brown fox jumps over the lazy dog'), 0x9747b28c, '5ed5d48a7161b84c9c3aa78e3e79b6cd'],
      [upTo(31), 0, 'ee92ab24ca891dac18bcf545a3ddd59a'],
      [upTo(31), 0x9747b28c, '35cab6d11ffc50a8a80fed9d2c348965'],
    ];
    for (const [bytes, seed, hex] of cases) expect(hashOf(bytes, seeded(seed)), `${bytes.length} bytes, seed ${seed}`).to.equal(hex);
  });

  it('hashes only the first `length` bytes, whatever follows them', () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    for (let n = 0; n <= 48; n++) {
      const alone = hashOf(bytes.slice(0, n), seeded(7));
      expect(referenceHex(murmur3x86x128(bytes, n, ...seeded(7))), `length ${n}`).to.equal(alone);
    }
  });

  it('starts each lane from its own seed word: changing any one changes the hash', () => {
    const bytes = Buffer.from('event|case|12');
    const base = hashOf(bytes, [1, 2, 3, 4]);
    expect(hashOf(bytes, [9, 2, 3, 4])).to.not.equal(base);
    expect(hashOf(bytes, [1, 9, 3, 4])).to.not.equal(base);
    expect(hashOf(bytes, [1, 2, 9, 4])).to.not.equal(base);
    expect(hashOf(bytes, [1, 2, 3, 9])).to.not.equal(base);
  });

  it('hashes a prefix of whole blocks once and what follows it later as one input', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 73 + 11) & 0xff);
    for (const prefix of [0, 16, 32, 48]) {
      for (const rest of [0, 1, 15, 16, 17, 40]) {
        const [l1, l2, l3, l4] = murmur3x86x128Blocks(bytes, prefix, 5, 6, 7, 8);
        const resumed = referenceHex(murmur3x86x128(bytes.subarray(prefix), rest, l1!, l2!, l3!, l4!, prefix));
        expect(resumed, `${prefix} + ${rest} bytes`).to.equal(hashOf(bytes.subarray(0, prefix + rest), [5, 6, 7, 8]));
      }
    }
  });

  it('matches an independent port of the reference that seeds the four lanes apart', () => {
    // Reference values from a Python port of the reference C code, checked against mmh3 with one seed.
    expect(hashOf(Buffer.from('event|case|12'), [1, 2, 3, 4])).to.equal('45130ada70233941ed9a5b76f5104cc2');
    expect(hashOf(upTo(40), [0xdeadbeef, 0x01234567, 0x89abcdef, 0xfedcba98])).to.equal('a9594c2db9ab588778ea015fe190f6ea');
  });
});
