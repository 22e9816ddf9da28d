import { afterDone } from '../../../src/operators/afterDone.js';
import { runStep } from '../../../src/operators/steps.js';
import { newTestScheduler } from '../../support/marbles.js';

describe('afterDone', () => {
  it('emits the value only after the effect completes, ignoring what the effect emits', () => {
    newTestScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const effect = cold('--x--y--|', { x: 'ack-1', y: 'ack-2' });
      expectObservable(runStep(() => afterDone(effect, 'work'))).toBe('--------(w|)', { w: 'work' });
      expectSubscriptions(effect.subscriptions).toBe('^-------!');
    });
  });

  it('still emits the value when the effect completes without emitting anything', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      expectObservable(runStep(() => afterDone(cold('---|'), 'work'))).toBe('---(w|)', { w: 'work' });
    });
  });

  it('emits the value at once when the effect completes synchronously', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      expectObservable(runStep(() => afterDone(cold('|'), 42))).toBe('(v|)', { v: 42 });
    });
  });

  it("passes the effect's error on and never emits the value", () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      expectObservable(runStep(() => afterDone(cold('-x-#', { x: 1 }, new Error('write failed')), 'work'))).toBe(
        '---#',
        undefined,
        new Error('write failed'),
      );
    });
  });

  it('never emits while the effect never completes', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      expectObservable(runStep(() => afterDone(cold('-x-----', { x: 1 }), 'work'))).toBe('');
    });
  });

  it('runs the effect only when subscribed, and again for each subscriber', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const effect = cold('--|');
      const later = runStep(() => afterDone(effect, 'work'));
      expectObservable(later, '---^').toBe('-----(w|)', { w: 'work' });
      expectObservable(later, '^').toBe('--(w|)', { w: 'work' });
      expectSubscriptions(effect.subscriptions).toBe(['^-!', '---^-!']);
    });
  });

  it('stops the effect when unsubscribed before it completes', () => {
    newTestScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const effect = cold('-----|');
      expectObservable(
        runStep(() => afterDone(effect, 'work')),
        '^--!',
      ).toBe('');
      expectSubscriptions(effect.subscriptions).toBe('^--!');
    });
  });
});
