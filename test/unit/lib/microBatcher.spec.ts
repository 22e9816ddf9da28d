import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import sinon from 'sinon';
import { createMicroBatcher } from '../../../src/lib/microBatcher.js';

/** A promise the test resolves or rejects by hand. */
const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** Lets setImmediate callbacks and promise continuations run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const settled = async () => {
  for (let i = 0; i < 5; i += 1) await tick();
};

const doubling = () => sinon.spy(async (items: number[]) => items.map((n) => n * 2));

describe('createMicroBatcher', () => {
  it('hands run the tag each item got when it was submitted, in item order', async () => {
    let caller = 'first';
    const run = sinon.spy(async (items: number[], tags: string[]) => items.map((n, i) => `${n}:${tags[i]}`));
    const submit = createMicroBatcher({ run, maxBatch: 100, tagOf: () => caller });
    const one = firstValueFrom(submit(1));
    caller = 'second';
    const two = firstValueFrom(submit(2));
    expect(await Promise.all([one, two])).to.deep.equal(['1:first', '2:second']);
    expect(run.callCount).to.equal(1);
  });

  it('tags every item undefined when no tagOf is given', async () => {
    const run = sinon.spy(async (items: number[], tags: undefined[]) => items.map((_, i) => tags[i]));
    const submit = createMicroBatcher({ run, maxBatch: 100 });
    expect(await Promise.all([1, 2].map((n) => firstValueFrom(submit(n))))).to.deep.equal([undefined, undefined]);
  });

  it('runs items submitted in the same tick together in one run call', async () => {
    const run = doubling();
    const submit = createMicroBatcher({ run, maxBatch: 100 });

    const results = await Promise.all([1, 2, 3].map((n) => firstValueFrom(submit(n))));

    expect(results).to.deep.equal([2, 4, 6]);
    expect(run.callCount).to.equal(1);
    expect(run.firstCall.args[0]).to.deep.equal([1, 2, 3]);
  });

  it('is cold: nothing is queued or run until the Observable is subscribed', async () => {
    const run = doubling();
    const submit = createMicroBatcher({ run, maxBatch: 100 });

    const pending = submit(1);
    await settled();
    expect(run.called).to.equal(false);

    expect(await firstValueFrom(pending)).to.equal(2);
    expect(run.callCount).to.equal(1);
  });

  it('emits exactly one result and completes for each caller', async () => {
    const submit = createMicroBatcher({ run: doubling(), maxBatch: 10 });

    expect(await lastValueFrom(submit(21).pipe(toArray()))).to.deep.equal([42]);
  });

  it('splits a burst into batches of at most maxBatch items, keeping submission order', async () => {
    const run = doubling();
    const submit = createMicroBatcher({ run, maxBatch: 3 });

    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => firstValueFrom(submit(n))));

    expect(results).to.deep.equal([2, 4, 6, 8, 10, 12, 14]);
    expect(run.getCalls().map((c) => c.args[0])).to.deep.equal([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('gives each caller the result at its own position in the batch', async () => {
    const run = sinon.spy(async (items: string[]) => items.map((s) => s.toUpperCase()));
    const submit = createMicroBatcher({ run, maxBatch: 10 });

    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((s) => firstValueFrom(submit(s))));

    expect([a, b, c]).to.deep.equal(['A', 'B', 'C']);
  });

  it('runs one batch at a time by default, so items arriving meanwhile form one bigger next batch', async () => {
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const run = sinon.spy(async (items: number[]) => {
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return items;
    });
    const submit = createMicroBatcher({ run, maxBatch: 100 });

    const first = firstValueFrom(submit(1));
    await settled();
    expect(run.callCount).to.equal(1);

    const later = [2, 3, 4].map((n) => firstValueFrom(submit(n)));
    await settled();
    expect(run.callCount, 'a second run while the first is in flight').to.equal(1);

    gates[0]!.resolve();
    expect(await first).to.equal(1);
    await settled();
    expect(run.callCount).to.equal(2);
    expect(run.secondCall.args[0]).to.deep.equal([2, 3, 4]);

    gates[1]!.resolve();
    expect(await Promise.all(later)).to.deep.equal([2, 3, 4]);
  });

  it('runs up to `concurrency` batches at once when asked to', async () => {
    const gate = deferred<void>();
    let running = 0;
    let maxRunning = 0;
    const run = sinon.spy(async (items: number[]) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running -= 1;
      return items;
    });
    const submit = createMicroBatcher({ run, maxBatch: 2, concurrency: 3 });

    const all = Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => firstValueFrom(submit(n))));
    await settled();
    expect(run.callCount).to.equal(3);

    gate.resolve();
    expect(await all).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(maxRunning).to.equal(3);
    expect(run.callCount).to.equal(4);
  });

  it('fails every caller of a batch with the batch error and leaves other batches alone', async () => {
    const boom = new Error('write failed');
    let calls = 0;
    const run = async (items: number[]) => {
      calls += 1;
      if (calls === 1) throw boom;
      return items;
    };
    const submit = createMicroBatcher({ run, maxBatch: 2 });

    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => firstValueFrom(submit(n))));

    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected', 'fulfilled']);
    expect((outcomes[0] as PromiseRejectedResult).reason).to.equal(boom);
    expect((outcomes[1] as PromiseRejectedResult).reason).to.equal(boom);
    expect((outcomes[2] as PromiseFulfilledResult<number>).value).to.equal(3);
  });

  it('fails the batch when run throws synchronously, and keeps working afterwards', async () => {
    let fail = true;
    const submit = createMicroBatcher<number, number>({
      run: (items) => {
        if (fail) throw new Error('sync throw');
        return Promise.resolve(items);
      },
      maxBatch: 10,
    });

    const outcome = await firstValueFrom(submit(1)).catch((e: Error) => e.message);
    expect(outcome).to.equal('sync throw');

    fail = false;
    expect(await firstValueFrom(submit(2))).to.equal(2);
  });

  it('fails the batch when run returns the wrong number of results', async () => {
    const submit = createMicroBatcher({ run: async (items: number[]) => items.slice(1), maxBatch: 10 });

    const outcomes = await Promise.allSettled([1, 2].map((n) => firstValueFrom(submit(n))));

    for (const o of outcomes) {
      expect(o.status).to.equal('rejected');
      expect(String((o as PromiseRejectedResult).reason)).to.match(/1 results for 2 items/);
    }
  });

  it('removes an item whose subscriber unsubscribes before its batch starts', async () => {
    const run = doubling();
    const submit = createMicroBatcher({ run, maxBatch: 10 });

    const dropped = sinon.spy();
    const subscription = submit(1).subscribe(dropped);
    const kept = firstValueFrom(submit(2));
    subscription.unsubscribe();

    expect(await kept).to.equal(4);
    expect(run.callCount).to.equal(1);
    expect(run.firstCall.args[0]).to.deep.equal([2]);
    expect(dropped.called).to.equal(false);
  });

  it('does not run at all when the only item is unsubscribed before the batch starts', async () => {
    const run = doubling();
    const submit = createMicroBatcher({ run, maxBatch: 10 });

    submit(1).subscribe().unsubscribe();
    await settled();

    expect(run.called).to.equal(false);
  });

  it('drops the result of an item unsubscribed after its batch started', async () => {
    const gate = deferred<void>();
    const run = sinon.spy(async (items: number[]) => {
      await gate.promise;
      return items;
    });
    const submit = createMicroBatcher({ run, maxBatch: 10 });

    const observer = { next: sinon.spy(), error: sinon.spy(), complete: sinon.spy() };
    const subscription = submit(1).subscribe(observer);
    const other = firstValueFrom(submit(2));
    await settled();
    subscription.unsubscribe();
    gate.resolve();

    expect(await other).to.equal(2);
    expect(run.firstCall.args[0]).to.deep.equal([1, 2]);
    expect(observer.next.called || observer.error.called || observer.complete.called).to.equal(false);
  });

  describe('with maxWaitMs', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    });
    afterEach(() => clock.restore());

    it('collects items submitted within maxWaitMs of the first into one batch', async () => {
      const run = doubling();
      const submit = createMicroBatcher({ run, maxBatch: 100, maxWaitMs: 10 });

      const a = firstValueFrom(submit(1));
      await clock.tickAsync(5);
      const b = firstValueFrom(submit(2));
      expect(run.called, 'before maxWaitMs').to.equal(false);
      await clock.tickAsync(5);

      expect(await Promise.all([a, b])).to.deep.equal([2, 4]);
      expect(run.callCount).to.equal(1);
      expect(run.firstCall.args[0]).to.deep.equal([1, 2]);
    });

    it('starts a full batch without waiting out maxWaitMs', async () => {
      const run = doubling();
      const submit = createMicroBatcher({ run, maxBatch: 2, maxWaitMs: 1000 });

      const both = Promise.all([firstValueFrom(submit(1)), firstValueFrom(submit(2))]);
      await clock.tickAsync(0);

      expect(run.callCount).to.equal(1);
      expect(await both).to.deep.equal([2, 4]);
    });
  });

  it('rejects a maxBatch or concurrency that is not a positive integer', () => {
    const run = async (items: number[]) => items;
    expect(() => createMicroBatcher({ run, maxBatch: 0 })).to.throw(RangeError);
    expect(() => createMicroBatcher({ run, maxBatch: 2, concurrency: 1.5 })).to.throw(RangeError);
  });
});
