import { expect } from 'chai';
import { defer, type Observable } from 'rxjs';
import { backoffDelay, jitteredDelay, retryWithBackoff } from '../../../src/operators/retryWithBackoff.js';
import { newTestScheduler } from '../../support/marbles.js';

class Fatal extends Error {}

/** The top of the jitter range: every retry waits its whole backoff delay, so the marbles below are exact. */
const full = () => 0.9999;

describe('retryWithBackoff', () => {
  it('waits 1x, 2x, 4x the initial delay between attempts, then stays at the cap, for as long as it fails', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const retries: [number, number][] = [];
      const failing = cold('-#', undefined, new Error('mongo down'));
      const out = failing.pipe(
        retryWithBackoff({ random: full, initialMs: 10, maxMs: 30, onRetry: (_e, attempt, delayMs) => retries.push([attempt, delayMs]) }),
      );
      // Fails at 1 → waits 10; fails at 12 → waits 20; fails at 33 → waits 30 (capped, not 40); fails at 64 and 95 → waits 30.
      expectObservable(out, '^ 99ms !').toBe('');
      expectSubscriptions(failing.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!', '63ms ^!', '94ms ^!']);
      scheduler.flush();
      expect(retries).to.deep.equal([
        [1, 10],
        [2, 20],
        [3, 30],
        [4, 30],
        [5, 30],
      ]);
    });
  });

  it('tells onRetry which error it retries', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const seen: unknown[] = [];
      const boom = new Error('broker down');
      expectObservable(
        cold('-#', undefined, boom).pipe(retryWithBackoff({ random: full, initialMs: 5, maxMs: 5, onRetry: (e) => seen.push(e) })),
        '^ 8ms !',
      ).toBe('');
      scheduler.flush();
      expect(seen).to.deep.equal([boom, boom]);
      expect(seen[0]).to.equal(boom);
    });
  });

  it('completes with the value once an attempt succeeds', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      let attempts = 0;
      const flaky = defer(() => (++attempts < 3 ? cold<string>('--#', undefined, new Error('down')) : cold('--(v|)', { v: 'done' })));
      // Fails at 2, waits 4; fails at 8, waits 8; succeeds 2 ms after resubscribing at 16.
      expectObservable(flaky.pipe(retryWithBackoff({ random: full, initialMs: 4, maxMs: 100 }))).toBe('18ms (v|)', { v: 'done' });
    });
  });

  it('passes a fatal error on at once without retrying', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const retries: number[] = [];
      const fatal = new Fatal('bad data');
      const source = cold('-a-#', { a: 1 }, fatal);
      const out = source.pipe(
        retryWithBackoff({
          random: full,
          initialMs: 10,
          maxMs: 100,
          isFatal: (e) => e instanceof Fatal,
          onRetry: (_e, n) => retries.push(n),
        }),
      );
      expectObservable(out).toBe('-a-#', { a: 1 }, fatal);
      expectSubscriptions(source.subscriptions).toBe('^--!');
      scheduler.flush();
      expect(retries).to.deep.equal([]);
    });
  });

  it('still retries the errors that are not fatal', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      let attempts = 0;
      const source = defer(() => (++attempts === 1 ? cold<string>('#', undefined, new Error('timeout')) : cold('(v|)', { v: 'ok' })));
      expectObservable(source.pipe(retryWithBackoff({ random: full, initialMs: 7, maxMs: 100, isFatal: (e) => e instanceof Fatal }))).toBe(
        '7ms (v|)',
        { v: 'ok' },
      );
    });
  });

  it('starts again from the initial delay after an attempt that delivered a value', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const retries: [number, number][] = [];
      const attempts: Observable<string>[] = [
        cold('-#', undefined, new Error('1')),
        cold('-#', undefined, new Error('2')),
        cold('-a-#', { a: 'a' }, new Error('3')),
        cold('-#', undefined, new Error('4')),
        cold('-(b|)', { b: 'b' }),
      ];
      const source = defer(() => attempts.shift()!);
      const out = source.pipe(
        retryWithBackoff({ random: full, initialMs: 10, maxMs: 1000, onRetry: (_e, attempt, delayMs) => retries.push([attempt, delayMs]) }),
      );
      // fail@1 wait 10 · fail@12 wait 20 · a@33 fail@35 wait 10 (reset) · fail@46 wait 20 · b@67
      expectObservable(out).toBe('33ms a 33ms (b|)', { a: 'a', b: 'b' });
      scheduler.flush();
      expect(retries).to.deep.equal([
        [1, 10],
        [2, 20],
        [1, 10],
        [2, 20],
      ]);
    });
  });

  it('stops retrying when unsubscribed while waiting', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('-#', undefined, new Error('down'));
      expectObservable(failing.pipe(retryWithBackoff({ random: full, initialMs: 10, maxMs: 10 })), '^----!').toBe('');
      expectSubscriptions(failing.subscriptions).toBe('^!');
    });
  });

  it('waits between half and the whole backoff delay, so callers that failed together do not retry together', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const retries: [number, number][] = [];
      const failing = cold('-#', undefined, new Error('mongo down'));
      const out = failing.pipe(
        retryWithBackoff({
          random: () => 0,
          initialMs: 10,
          maxMs: 30,
          onRetry: (_e, attempt, delayMs) => retries.push([attempt, delayMs]),
        }),
      );
      // The bottom of the range: half of 10, 20, 30. Fails at 1 → waits 5; fails at 7 → waits 10; fails at 18 → waits 15 (unsubscribed at 30).
      expectObservable(out, '^ 29ms !').toBe('');
      expectSubscriptions(failing.subscriptions).toBe(['^!', '6ms ^!', '17ms ^!']);
      scheduler.flush();
      expect(retries).to.deep.equal([
        [1, 5],
        [2, 10],
        [3, 15],
      ]);
    });
  });

  describe('jitteredDelay', () => {
    it('draws each delay from the upper half of the capped backoff delay', () => {
      const delays = Array.from({ length: 200 }, () => jitteredDelay(3, 100, 1000, Math.random));
      expect(Math.min(...delays)).to.be.at.least(200);
      expect(Math.max(...delays)).to.be.at.most(400);
      expect(new Set(delays).size, 'the delays are spread, not all equal').to.be.greaterThan(20);
    });

    it('keeps the cap: no delay exceeds maxMs', () => {
      expect(jitteredDelay(50, 200, 30_000, () => 0.9999)).to.be.within(29_990, 30_000);
      expect(jitteredDelay(50, 200, 30_000, () => 0)).to.equal(15_000);
    });
  });

  describe('backoffDelay', () => {
    it('doubles from the initial delay and caps at the maximum', () => {
      expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 100, 1000))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    });

    it('stays at the cap for very many attempts instead of overflowing', () => {
      expect(backoffDelay(10_000, 200, 30_000)).to.equal(30_000);
      expect(Number.isFinite(backoffDelay(10_000, 200, Number.MAX_SAFE_INTEGER))).to.equal(true);
    });
  });
});
