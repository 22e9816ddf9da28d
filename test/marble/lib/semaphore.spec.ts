import { expect } from 'chai';
import { Semaphore } from '../../../src/lib/semaphore.js';
import { newTestScheduler } from '../../support/marbles.js';

const granted = { g: undefined };

describe('Semaphore', () => {
  describe('construction', () => {
    it('refuses a size that is not a positive integer', () => {
      for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new Semaphore(size), String(size)).to.throw(RangeError, /positive integer/);
    });

    it('starts with every permit free: as many callers as its size get one at once, and no more', () => {
      const s = new Semaphore(3);
      expect([s.tryAcquire(), s.tryAcquire(), s.tryAcquire(), s.tryAcquire()]).to.deep.equal([true, true, true, false]);
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
      s.release();
      expect([s.tryAcquire(), s.tryAcquire()]).to.deep.equal([true, false]);
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

    it('hands a released permit straight to the first waiter, so no permit is lost or made on the way', () => {
      const s = new Semaphore(2);
      expect([s.tryAcquire(), s.tryAcquire()]).to.deep.equal([true, true]);
      let waiterGranted = false;
      s.acquire().subscribe(() => (waiterGranted = true));
      s.release();
      expect(waiterGranted).to.equal(true);
      expect(s.tryAcquire()).to.equal(false);
      // The other holder and the waiter give theirs back: both permits are free again, not one more.
      s.release();
      s.release();
      expect([s.tryAcquire(), s.tryAcquire(), s.tryAcquire()]).to.deep.equal([true, true, false]);
    });

    it('lets a waiter that unsubscribes before its grant give up its place in the queue', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ expectObservable }) => {
        const s = new Semaphore(1);
        expectObservable(s.acquire()).toBe('(g|)', granted);
        // The second caller gives up at 2; the third is granted at the release at 3, not one release later.
        expectObservable(s.acquire(), '^-!').toBe('', granted);
        expectObservable(s.acquire()).toBe('3ms (g|)', granted);
        scheduler.schedule(() => s.release(), 3);
        scheduler.flush();
        // The third caller holds the one permit now; once it gives it back the permit is free.
        expect(s.tryAcquire()).to.equal(false);
        s.release();
        expect(s.tryAcquire()).to.equal(true);
      });
    });

    it('throws when released more often than acquired', () => {
      const s = new Semaphore(2);
      s.acquire().subscribe();
      s.release();
      expect(() => s.release()).to.throw(/released more often than acquired/);
      // The refused release made no extra permit.
      expect([s.tryAcquire(), s.tryAcquire(), s.tryAcquire()]).to.deep.equal([true, true, false]);
    });
  });
});
