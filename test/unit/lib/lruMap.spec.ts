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

  it('keeps forgetting the least recently used key over many writes, reads and takes', () => {
    // Checked against a plain list kept in use order; a small LCG makes the operations repeatable.
    const lru = new LruMap<number, number>(50);
    let order: number[] = [];
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16) % n;
    for (let step = 0; step < 20_000; step++) {
      const key = random(200);
      const op = random(3);
      if (op === 0) {
        lru.set(key, step);
        order = [...order.filter((k) => k !== key), key].slice(-50);
      } else if (op === 1) {
        const known = order.includes(key);
        expect(lru.get(key) !== undefined, `get ${key} at step ${step}`).to.equal(known);
        if (known) order = [...order.filter((k) => k !== key), key];
      } else {
        expect(lru.take(key) !== undefined, `take ${key} at step ${step}`).to.equal(order.includes(key));
        order = order.filter((k) => k !== key);
      }
      expect(lru.size).to.equal(order.length);
    }
  });

  it('forgets the oldest of the keys written after a clear', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.clear();
    lru.set('c', 3);
    lru.set('d', 4);
    lru.set('e', 5);
    expect([lru.get('c'), lru.get('d'), lru.get('e')]).to.deep.equal([undefined, 4, 5]);
  });

  it('refuses a size below 1', () => {
    expect(() => new LruMap(0)).to.throw(RangeError);
  });
});
