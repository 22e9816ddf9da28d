import { expect } from 'chai';
import { EMPTY, Observable } from 'rxjs';
import { andThen, firstOf, inOrder, recover, runStep, waits, whenComplete, type Step } from '../../../src/operators/steps.js';
import { newTestScheduler } from '../../support/marbles.js';

const plusOne: Step<number> = (n) => n + 1;

describe('steps', () => {
  describe('andThen', () => {
    it('goes on at once with a value, with nothing to wait for or subscribe to', () => {
      const result = andThen(1, plusOne);
      expect(result).to.equal(2);
      expect(waits(result)).to.equal(false);
    });

    it('goes on with what it waits for: its last value, once it completes', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const work = andThen(cold('-a-b--|', { a: 1, b: 10 }), plusOne);
        expectObservable(runStep(() => work)).toBe('------(v|)', { v: 11 });
      });
    });

    it('ends the work with nothing when what it waits for completes without a value', () => {
      const seen: number[] = [];
      newTestScheduler().run(({ cold, expectObservable }) => {
        const work = andThen(cold<number>('--|'), (n) => (seen.push(n), n));
        expectObservable(runStep(() => work)).toBe('--|');
      });
      expect(seen).to.deep.equal([]);
    });

    it('chains onto work that waits without wrapping it: one subscription for each Observable waited for', () => {
      newTestScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const first = cold('-(a|)', { a: 1 });
        const second = cold('--(b|)', { b: 100 });
        const work = andThen(
          andThen(first, (n) => andThen(second, (m) => n + m)),
          plusOne,
        );
        expectObservable(runStep(() => work)).toBe('---(v|)', { v: 102 });
        expectSubscriptions(first.subscriptions).toBe('^!');
        expectSubscriptions(second.subscriptions).toBe('-^-!');
      });
    });

    it('fails the work with the error of what it waits for, or of a step that throws, and runs no later step', () => {
      const later: number[] = [];
      newTestScheduler().run(({ cold, expectObservable }) => {
        const failing = andThen(andThen(cold<number>('-#', undefined, new Error('port down')), plusOne), (n) => (later.push(n), n));
        expectObservable(runStep(() => failing)).toBe('-#', undefined, new Error('port down'));
        const throwing = andThen(cold('-(a|)', { a: 1 }), (): number => {
          throw new Error('bad step');
        });
        expectObservable(runStep(() => throwing)).toBe('-#', undefined, new Error('bad step'));
      });
      expect(later).to.deep.equal([]);
    });
  });

  describe('inOrder', () => {
    it('runs the steps one after the other, at once while they answer at once', () => {
      expect(inOrder(plusOne, (n) => n * 10, plusOne)(1)).to.equal(21);
    });

    it('waits where a step waits, then runs the steps after it', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const ran: string[] = [];
        const steps = inOrder<number>(
          (n) => (ran.push('first'), n + 1),
          (n) => (ran.push('second'), andThen(cold('--(x|)', { x: n }), (x) => x * 10)),
          (n) => (ran.push('third'), n + 1),
        );
        const work = steps(1);
        expect(ran).to.deep.equal(['first', 'second']);
        expectObservable(runStep(() => work)).toBe('--(v|)', { v: 21 });
      });
    });
  });

  describe('firstOf', () => {
    it('goes on with the first value at once and unsubscribes, without waiting for completion', () => {
      newTestScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const answers = cold('-a-b-|', { a: 'first', b: 'second' });
        expectObservable(runStep(() => andThen(firstOf(answers), (a) => `${a}!`))).toBe('-(v|)', { v: 'first!' });
        expectSubscriptions(answers.subscriptions).toBe('^!');
      });
    });
  });

  describe('whenComplete', () => {
    it('goes on once the effect completes, whatever it emitted, and when it emitted nothing', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        expectObservable(runStep(() => whenComplete(cold('-x-|', { x: 'ack' }), () => 'done'))).toBe('---(v|)', { v: 'done' });
        expectObservable(runStep(() => whenComplete(EMPTY, () => 'done'))).toBe('(v|)', { v: 'done' });
      });
    });
  });

  describe('recover', () => {
    it("answers what the recovery answers for the error, and fails with the recovery's own error when it throws", () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const failing = andThen(cold<number>('-#', undefined, new Error('conflict')), plusOne);
        const recovered = recover(failing, () => andThen(cold('--(a|)', { a: 5 }), plusOne));
        expectObservable(runStep(() => recovered)).toBe('---(v|)', { v: 6 });
        const rethrown = recover(failing, (error) => {
          throw new Error(`still ${(error as Error).message}`);
        });
        expectObservable(runStep(() => rethrown)).toBe('-#', undefined, new Error('still conflict'));
      });
    });

    it('returns work that answered at once as it is: it cannot fail any more', () => {
      expect(recover(3, () => 0)).to.equal(3);
    });
  });

  describe('runStep', () => {
    it('runs the work at each subscription, and emits a value at once', () => {
      let runs = 0;
      const work = runStep(() => {
        runs += 1;
        return runs;
      });
      const seen: number[] = [];
      work.subscribe((n) => seen.push(n));
      work.subscribe((n) => seen.push(n));
      expect(seen).to.deep.equal([1, 2]);
    });

    it('stops what the work waits for when unsubscribed', () => {
      newTestScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const slow = cold('-----(a|)', { a: 1 });
        expectObservable(
          runStep(() => andThen(slow, plusOne)),
          '^--!',
        ).toBe('');
        expectSubscriptions(slow.subscriptions).toBe('^--!');
      });
    });

    it('errors when the work throws before it answers', () => {
      const errors: unknown[] = [];
      runStep(() => {
        throw new Error('no work');
      }).subscribe({ error: (e: unknown) => errors.push(e) });
      expect((errors[0] as Error).message).to.equal('no work');
    });

    it('emits every value of an Observable answered at the end of the work', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const values = new Observable<number>((s) => {
          s.next(1);
          s.next(2);
          s.complete();
        });
        expectObservable(runStep(() => andThen(cold('-(a|)', { a: 0 }), () => values))).toBe('-(ab|)', { a: 1, b: 2 });
      });
    });
  });
});
