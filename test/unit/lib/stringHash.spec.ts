import { expect } from 'chai';
import { fnv1a32 } from '../../../src/lib/stringHash.js';

describe('fnv1a32', () => {
  it('gives the published FNV-1a 32-bit hashes of ASCII text', () => {
    expect([fnv1a32(''), fnv1a32('a'), fnv1a32('foobar')]).to.deep.equal([0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
  });

  it('spreads case keys evenly over 64 buckets', () => {
    const buckets = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) buckets[fnv1a32(`case:${i.toString(16).padStart(8, '0')}-4a1b-9c2d`) % 64]! += 1;
    // 1 000 expected in each; a fair spread stays well within 20 %.
    expect(Math.min(...buckets)).to.be.above(800);
    expect(Math.max(...buckets)).to.be.below(1200);
  });
});
