import { expect } from 'chai';
import { map, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { consumeLoop, type LoopEvent } from '../../../src/streams/consumeLoop.js';
import { admitted, Intake } from '../../../src/streams/intake.js';
import type { Completion } from '../../../src/streams/ports.js';
import { positionOf, type InboundRecord } from '../../../src/streams/records.js';
import { newTestScheduler } from '../../support/marbles.js';
import { recordOf } from '../../support/records.js';

/** A pipeline that completes each record as soon as it comes. */
const completeAtOnce = map((r: InboundRecord): Completion => ({
  position: positionOf(r),
  outcome: 'processed',
  case_id: null,
  event_ids: [],
  reason: null,
  command_id: null,
}));

const at = (offset: number) => recordOf('{}', { offset });

/** The loop's events as marble values: `c<offset>` for a completion, `@<next offsets>` for a commit. */
const described = (events: Observable<LoopEvent>) =>
  events.pipe(map((e) => (e.kind === 'completed' ? `c${e.completion.position.offset}` : `@${e.positions.map((p) => p.offset).join(',')}`)));

const loop = (scheduler: TestScheduler, records: Observable<InboundRecord>, commitEveryMs: number) => {
  const intake = new Intake({ maxMessages: 10 });
  return { intake, events: described(records.pipe(admitted(intake), consumeLoop(completeAtOnce, { intake, commitEveryMs, scheduler }))) };
};

describe('consumeLoop', () => {
  it('commits after every completion when commitEveryMs is 0', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { events } = loop(scheduler, cold('a 9ms (b|)', { a: at(0), b: at(1) }), 0);
      expectObservable(events).toBe('(xy) 6ms (zw|)', { x: 'c0', y: '@1', z: 'c1', w: '@2' });
    });
  });

  it('gathers the completions of commitEveryMs after the first of them into one commit', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { events } = loop(scheduler, cold('a-b 7ms c 9ms |', { a: at(0), b: at(1), c: at(2) }), 5);
      expectObservable(events).toBe('a-b--x 4ms c----y 4ms |', { a: 'c0', b: 'c1', x: '@2', c: 'c2', y: '@3' });
    });
  });

  it('makes a commit still due before it completes, when the pipeline completes first', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { events } = loop(scheduler, cold('a|', { a: at(0) }), 5);
      expectObservable(events).toBe('a----(x|)', { a: 'c0', x: '@1' });
    });
  });

  it('gives each completion back to the intake before passing it on', () => {
    const scheduler = newTestScheduler();
    const inFlight: number[] = [];
    scheduler.run(({ cold }) => {
      const { intake, events } = loop(scheduler, cold('ab|', { a: at(0), b: at(1) }), 5);
      events.subscribe((e) => {
        if (e.startsWith('c')) inFlight.push(intake.messagesInFlight);
      });
    });
    expect(inFlight).to.deep.equal([0, 0]);
  });

  it('stops the commit that is due when unsubscribed', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { events } = loop(scheduler, cold('a----', { a: at(0) }), 5);
      expectObservable(events, '^--!').toBe('a--', { a: 'c0' });
    });
  });
});
