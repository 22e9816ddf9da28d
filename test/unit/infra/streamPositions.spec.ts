import { expect } from 'chai';
import { StreamPositions } from '../../../src/infra/mongo/replay/streamPositions.js';

const at = (aggregate_id: string, version: number) => ({ aggregate_id, version });

describe('StreamPositions (what a replay pass projects next)', () => {
  it('takes each stream from version 1, in order, and knows the last version taken', () => {
    const p = new StreamPositions();

    expect([at('a', 1), at('a', 2), at('b', 1)].map((e) => p.take(e))).to.deep.equal(['next', 'next', 'next']);
    expect(p.versionOf('a')).to.equal(2);
    expect(p.versionOf('never-seen')).to.equal(0);
  });

  it('finds in a later pass only what was appended since, new streams included', () => {
    const p = new StreamPositions();
    for (const e of [at('a', 1), at('a', 2)]) p.take(e);

    const second = [at('a', 1), at('a', 2), at('a', 3), at('c', 1)].map((e) => p.take(e));

    expect(second).to.deep.equal(['seen', 'seen', 'next', 'next']);
  });

  it('holds back the versions after a gap, so that no event is projected before an earlier one, and takes them once the gap is filled', () => {
    const p = new StreamPositions();
    p.take(at('a', 1));

    expect([at('a', 3), at('a', 4)].map((e) => p.take(e))).to.deep.equal(['held', 'held']);
    expect(p.versionOf('a')).to.equal(1);
    expect([at('a', 2), at('a', 3), at('a', 4)].map((e) => p.take(e))).to.deep.equal(['next', 'next', 'next']);
  });
});
