import { expect } from 'chai';
import { EMPTY, of, type Observable } from 'rxjs';
import { concurrently } from '../../../src/operators/concurrently.js';
import { newTestScheduler } from '../../support/marbles.js';
import { asOperator } from '../../support/steps.js';

describe('concurrently', () => {
  it('emits each item once, when the slowest of its steps is done, not after the sum of them', () => {
    newTestScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const slow = cold('----|');
      const fast = cold('-x|', { x: 'ignored' });
      const source = hot('a', { a: 'work' });
      expectObservable(
        source.pipe(
          asOperator(
            concurrently(
              () => slow,
              () => fast,
            ),
          ),
        ),
      ).toBe('----w', { w: 'work' });
      expectSubscriptions(slow.subscriptions).toBe('^---!');
      expectSubscriptions(fast.subscriptions).toBe('^-!');
    });
  });

  it('gives every step the item itself', () => {
    const seen: string[] = [];
    const step = (name: string) => (item: string) => seen.push(`${name}:${item}`);
    of('case-1')
      .pipe(asOperator(concurrently(step('project'), step('raw'))))
      .subscribe();
    expect(seen).to.deep.equal(['project:case-1', 'raw:case-1']);
  });

  it('answers the item at once, with nothing to subscribe to, when every step answers at once', () => {
    const seen: string[] = [];
    const answer = concurrently(
      (item: string) => seen.push(`project:${item}`),
      (item: string) => seen.push(`raw:${item}`),
    )('case-1');
    expect(answer).to.equal('case-1');
    expect(seen).to.deep.equal(['project:case-1', 'raw:case-1']);
  });

  it('fails at once with the first failing step in step order, when every step answers or throws at once', () => {
    const failing = concurrently<string>(
      () => 'fine',
      () => {
        throw new Error('raw refused');
      },
      () => {
        throw new Error('projection refused');
      },
    );
    expect(() => failing('case-1')).to.throw('raw refused');
  });

  it('emits the item even when a step completes without emitting', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: 1 }).pipe(asOperator(concurrently(() => EMPTY)))).toBe('a|', { a: 1 });
    });
  });

  it('handles the next item only once the previous one is done, keeping their order', () => {
    newTestScheduler().run(({ cold, hot, expectObservable }) => {
      const step = (item: string): Observable<string> => cold(item === 'a' ? '---|' : '-|');
      expectObservable(hot('ab', { a: 'a', b: 'b' }).pipe(asOperator(concurrently(step)))).toBe('---ab', { a: 'a', b: 'b' });
    });
  });

  it('lets the other steps finish, then fails with the error of the failing step that comes first in step order, whichever failed first', () => {
    newTestScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const failsLate = cold('---#', undefined, new Error('raw refused'));
      const failsEarly = cold('-#', undefined, new Error('projection refused'));
      const slow = cold('-----|');
      const source = hot('a', { a: 'work' });
      expectObservable(
        source.pipe(
          asOperator(
            concurrently(
              () => failsLate,
              () => slow,
              () => failsEarly,
            ),
          ),
        ),
      ).toBe('-----#', undefined, new Error('raw refused'));
      expectSubscriptions(slow.subscriptions).toBe('^----!');
    });
  });

  it('stops every step still running when unsubscribed', () => {
    newTestScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const step = cold('-----|');
      expectObservable(hot('a', { a: 1 }).pipe(asOperator(concurrently(() => step))), '^--!').toBe('');
      expectSubscriptions(step.subscriptions).toBe('^--!');
    });
  });
});
