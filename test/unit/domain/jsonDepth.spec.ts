import { expect } from 'chai';
import fc from 'fast-check';
import { nestsDeeperThan } from '../../../src/domain/jsonDepth.js';

/** How deep a parsed JSON value nests its arrays and objects. */
const depthOf = (value: unknown): number =>
  typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('nestsDeeperThan', () => {
  it('answers as the depth of the parsed value does, for any JSON and any limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.nat({ max: 14 }), (value, max) => {
        expect(nestsDeeperThan(JSON.stringify(value), max)).to.equal(depthOf(value) > max);
      }),
      { seed: 32, numRuns: 2_000 },
    );
  });

  it('refuses one level past the limit and accepts the limit itself', () => {
    expect(nestsDeeperThan(nested(32), 32)).to.equal(false);
    expect(nestsDeeperThan(nested(33), 32)).to.equal(true);
    expect(nestsDeeperThan(`{"a":${nested(31)}}`, 32)).to.equal(false);
    expect(nestsDeeperThan(`{"a":${nested(32)}}`, 32)).to.equal(true);
  });

  it('does not count brackets inside strings, however many there are', () => {
    const brackets = JSON.stringify({ note: '{['.repeat(5_000), escaped: '\\"[[[' });
    expect(nestsDeeperThan(brackets, 2)).to.equal(false);
    expect(nestsDeeperThan(`[${brackets}]`, 1)).to.equal(true);
  });

  it('finds a deep value after many shallow ones', () => {
    const wide = `[${'{},'.repeat(10_000)}${nested(40)}]`;
    expect(nestsDeeperThan(wide, 32)).to.equal(true);
    expect(nestsDeeperThan(wide, 41)).to.equal(false);
  });
});
