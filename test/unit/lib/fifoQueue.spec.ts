import { expect } from 'chai';
import { FifoQueue } from '../../../src/lib/fifoQueue.js';

describe('FifoQueue', () => {
  it('gives items back in the order they were pushed', () => {
    const queue = new FifoQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(queue.shift()).to.equal(1);
    queue.push(3);
    expect([queue.shift(), queue.shift()]).to.deep.equal([2, 3]);
  });

  it('answers undefined when empty and counts what it holds', () => {
    const queue = new FifoQueue<string>();
    expect(queue.shift()).to.equal(undefined);
    queue.push('a');
    queue.push('b');
    expect(queue.length).to.equal(2);
    queue.shift();
    expect(queue.length).to.equal(1);
  });

  it('keeps its order across many pushes and shifts interleaved, as a long-lived line of waiting cases does', () => {
    const queue = new FifoQueue<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) queue.push(next++);
      for (let i = 0; i < 200; i++) out.push(queue.shift()!);
    }
    while (queue.length > 0) out.push(queue.shift()!);
    expect(out).to.deep.equal(Array.from({ length: next }, (_, i) => i));
  });
});
