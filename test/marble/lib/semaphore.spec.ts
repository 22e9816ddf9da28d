import { expect } from 'chai';
import { defer, tap, type Observable } from 'rxjs';
import { Semaphore } from '../../../src/lib/semaphore.js';
import { newTestScheduler } from '../../support/marbles.js';

const granted = { g: undefined };

describe('Semaphore', () => {
  describe('construction', () => {
    it('refuses a size that is not a positive integer', () => {
      for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new Semaphore(size), String(size)).to.throw(RangeError, /positive integer/);
    });

    it('starts with every permit free and nobody waiting', () => {
      const s = new Semaphore(3);
      expect([s.size, s.inUse, s.queued]).to.deep.equal([3, 0, 0]);
    });
  });

  describe('acquire and release', () => {
    it('grants a free permit at once, emitting once and completing', () => {
      newTestScheduler().run(({ expectObservable }) => {
        const s = new Semaphore(2);
        expectObservable(s.acquire()).toBe('(g|)', granted);
        expectObservable(s.acquire()).toBe('(g|)', granted);
      });
    });

    it('makes a caller wait while every permit is held, and grants it on the next release', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const s = new Semaphore(1);
        expectObservable(s.acquire()).toBe('(g|)', granted);
        expectObservable(s.acquire()).toBe('4ms (g|)', granted);
        scheduler.schedule(() => s.release(), 4);
      });
    });

    it('grants waiting callers in the order they asked', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const s = new Semaphore(1);
        expectObservable(s.acquire()).toBe('(g|)', granted);
        expectObservable(s.acquire()).toBe('2ms (g|)', granted);
        expectObservable(s.acquire()).toBe('5ms (g|)', granted);
        expectObservable(s.acquire()).toBe('9ms (g|)', granted);
        for (const at of [2, 5, 9]) scheduler.schedule(() => s.release(), at);
      });
    });

    it('takes a free permit without waiting, and refuses when every permit is held', () => {
      const s = new Semaphore(2);
      expect([s.tryAcquire(), s.tryAcquire(), s.tryAcquire()]).to.deep.equal([true, true, false]);
      expect(s.inUse).to.equal(2);
      s.release();
      expect(s.tryAcquire()).to.equal(true);
    });

    /** A semaphore of one whose permit is held, with one caller waiting; `granted()` says whether it got the permit. */
    const heldWithOneWaiting = () => {
      const s = new Semaphore(1);
      s.acquire().subscribe();
      let waiterGranted = false;
      s.acquire().subscribe(() => (waiterGranted = true));
      return { s, granted: () => waiterGranted };
    };

    it('never lets a tryAcquire overtake a caller already waiting', () => {
      const { s, granted } = heldWithOneWaiting();
      s.release();
      expect(granted()).to.equal(true);
      expect(s.tryAcquire()).to.equal(false);
    });

    it('hands a released permit straight to the first waiter, so the permit count does not drop in between', () => {
      const { s, granted } = heldWithOneWaiting();
      expect([s.inUse, s.queued]).to.deep.equal([1, 1]);
      s.release();
      expect(granted()).to.equal(true);
      expect([s.inUse, s.queued]).to.deep.equal([1, 0]);
      s.release();
      expect(s.inUse).to.equal(0);
    });

    it('lets a waiter that unsubscribes before its grant give up its place in the queue', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const s = new Semaphore(1);
        expectObservable(s.acquire()).toBe('(g|)', granted);
        // The second caller gives up at 2; the third is granted at the release at 3, not one release later.
        expectObservable(s.acquire(), '^-!').toBe('', granted);
        expectObservable(s.acquire()).toBe('3ms (g|)', granted);
        const queued: number[] = [];
        for (const at of [1, 2]) scheduler.schedule(() => queued.push(s.queued), at);
        scheduler.schedule(() => s.release(), 3);
        scheduler.flush();
        expect(queued).to.deep.equal([2, 1]);
        expect(s.inUse).to.equal(1);
      });
    });

    it('throws when released more often than acquired', () => {
      const s = new Semaphore(2);
      s.acquire().subscribe();
      s.release();
      expect(() => s.release()).to.throw(/released more often than acquired/);
      expect(s.inUse).to.equal(0);
    });
  });

  describe('run', () => {
    it('starts waiting work in request order as permits free up', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const s = new Semaphore(1);
        const a = cold('---(a|)');
        const b = cold('--(b|)');
        const c = cold('--(c|)');
        const d = cold('--(d|)');
        expectObservable(s.run(a)).toBe('---(a|)');
        expectObservable(s.run(b)).toBe('-----(b|)');
        expectObservable(s.run(c)).toBe('-------(c|)');
        expectObservable(s.run(d)).toBe('---------(d|)');
        expectSubscriptions(a.subscriptions).toBe('^--!');
        expectSubscriptions(b.subscriptions).toBe('---^-!');
        expectSubscriptions(c.subscriptions).toBe('-----^-!');
        expectSubscriptions(d.subscriptions).toBe('-------^-!');
      });
    });

    it('never runs more work at once than its size, and starts the next as soon as one finishes', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const s = new Semaphore(2);
        let running = 0;
        let mostRunning = 0;
        const stop = () => (running -= 1);
        const counted = <T>(work: Observable<T>) =>
          defer(() => {
            running += 1;
            mostRunning = Math.max(mostRunning, running);
            return work;
          }).pipe(tap({ complete: stop, error: stop, unsubscribe: stop }));
        const w1 = cold('----(a|)');
        const w2 = cold('--(b|)');
        const w3 = cold('---(c|)');
        const w4 = cold('-(d|)');
        const w5 = cold('--(e|)');
        expectObservable(s.run(counted(w1))).toBe('----(a|)');
        expectObservable(s.run(counted(w2))).toBe('--(b|)');
        expectObservable(s.run(counted(w3))).toBe('-----(c|)');
        expectObservable(s.run(counted(w4))).toBe('-----(d|)');
        expectObservable(s.run(counted(w5))).toBe('-------(e|)');
        expectSubscriptions(w1.subscriptions).toBe('^---!');
        expectSubscriptions(w2.subscriptions).toBe('^-!');
        expectSubscriptions(w3.subscriptions).toBe('--^--!');
        expectSubscriptions(w4.subscriptions).toBe('----^!');
        expectSubscriptions(w5.subscriptions).toBe('-----^-!');
        scheduler.flush();
        expect(mostRunning).to.equal(2);
        expect([s.inUse, s.queued]).to.deep.equal([0, 0]);
      });
    });

    it('releases the permit when the work completes', () => {
      newTestScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const s = new Semaphore(1);
        const first = cold('--|');
        const second = cold('-(b|)');
        expectObservable(s.run(first)).toBe('--|');
        expectObservable(s.run(second)).toBe('---(b|)');
        expectSubscriptions(second.subscriptions).toBe('--^!');
      });
    });

    it('releases the permit when the work errors, and passes the error on', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const s = new Semaphore(1);
        const failing = cold('-a-#', { a: 1 }, new Error('store down'));
        const next = cold('-(b|)');
        expectObservable(s.run(failing)).toBe('-a-#', { a: 1 }, new Error('store down'));
        expectObservable(s.run(next)).toBe('----(b|)');
        expectSubscriptions(failing.subscriptions).toBe('^--!');
        expectSubscriptions(next.subscriptions).toBe('---^!');
        scheduler.flush();
        expect(s.inUse).to.equal(0);
      });
    });

    it('releases the permit and stops the work when the holder unsubscribes', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const s = new Semaphore(1);
        const slow = cold('-----(a|)');
        const next = cold('-(b|)');
        expectObservable(s.run(slow), '^--!').toBe('');
        expectObservable(s.run(next)).toBe('----(b|)');
        expectSubscriptions(slow.subscriptions).toBe('^--!');
        expectSubscriptions(next.subscriptions).toBe('---^!');
        scheduler.flush();
        expect(s.inUse).to.equal(0);
      });
    });

    it('never starts the work of a waiter that unsubscribes before its turn, and lets the next one in', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const s = new Semaphore(1);
        const holder = cold('----(a|)');
        const quitter = cold('-(q|)');
        const patient = cold('-(p|)');
        expectObservable(s.run(holder)).toBe('----(a|)');
        expectObservable(s.run(quitter), '^-!').toBe('');
        expectObservable(s.run(patient)).toBe('-----(p|)');
        expectSubscriptions(quitter.subscriptions).toBe([]);
        expectSubscriptions(patient.subscriptions).toBe('----^!');
        scheduler.flush();
        expect([s.inUse, s.queued]).to.deep.equal([0, 0]);
      });
    });

    it('releases the permit of work that completes synchronously', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const s = new Semaphore(1);
        expectObservable(s.run(cold('(a|)'))).toBe('(a|)');
        expectObservable(s.run(cold('(b|)'))).toBe('(b|)');
      });
      const s = new Semaphore(1);
      s.run(defer(() => [1])).subscribe();
      expect(s.inUse).to.equal(0);
    });
  });
});
