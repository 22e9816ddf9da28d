import { expect } from 'chai';
import { LruMap } from '../../../src/lib/lruMap.js';

describe('LruMap', () => {
  it('forgets the least recently used key beyond its size', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a'); // b is now the least recently used
    lru.set('c', 3);
    expect(lru.get('b')).to.equal(undefined);
    expect(lru.get('a')).to.equal(1);
    expect(lru.get('c')).to.equal(3);
    expect(lru.size).to.equal(2);
  });

  it('replacing a key does not grow it', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('a', 2);
    lru.set('b', 3);
    expect(lru.size).to.equal(2);
    expect(lru.get('a')).to.equal(2);
  });

  it('take hands a value over and forgets it', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    expect(lru.take('a')).to.equal(1);
    expect(lru.take('a')).to.equal(undefined);
    expect(lru.size).to.equal(0);
  });

  it('refuses a size below 1', () => {
    expect(() => new LruMap(0)).to.throw(RangeError);
  });
});
