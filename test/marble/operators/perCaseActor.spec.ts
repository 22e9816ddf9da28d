import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TestScheduler } from 'rxjs/testing';
import { concat, finalize, from, map, Observable, of, Subject, take, timer, VirtualTimeScheduler } from 'rxjs';
import { newTestScheduler } from '../../support/marbles.js';
import { perCaseActor, type ActorMemo } from '../../../src/operators/perCaseActor.js';

interface Msg {
  readonly key: string;
  readonly n: number;
  readonly ms: number;
}

/** Work that takes `ms` virtual milliseconds and reports when it started and ended. */
const timedWork =
  (log: string[], scheduler: TestScheduler) =>
  (m: Msg): Observable<string> => {
    log.push(`start ${m.key}${m.n}@${scheduler.now()}`);
    return timer(m.ms, scheduler).pipe(map(() => `${m.key}${m.n}`));
  };

/** Work that counts, in the actor's memory, the messages its case has handled: `<n>:<count>`. */
const countingWork =
  (scheduler: TestScheduler) =>
  (m: Msg, memo: ActorMemo<number>): Observable<string> => {
    memo.state = (memo.state ?? 0) + 1;
    return timer(m.ms, scheduler).pipe(map(() => `${m.n}:${memo.state}`));
  };

/** Work that takes `ms` virtual milliseconds and notes its case in `stopped` when it ends or is stopped. */
const stoppableWork =
  (stopped: string[]) =>
  (m: Msg): Observable<string> =>
    timer(m.ms).pipe(
      map(() => m.key),
      finalize(() => stopped.push(m.key)),
    );

/**
 * How many cases have a live actor (`<count>@<virtual time>`) each time the count changes, as
 * `values` arrive on `marbles` (each message taking its `ms`), with room for 4 cases at once.
 */
const liveActors = (marbles: string, values: Record<string, Msg>, idleMs: number): string[] => {
  const scheduler = newTestScheduler();
  const lives: string[] = [];
  scheduler.run(({ cold }) => {
    cold<Msg>(marbles, values)
      .pipe(
        perCaseActor(
          (m) => m.key,
          timedWork([], scheduler),
          { maxActiveCases: 4, idleMs },
          { onActorsChanged: (n) => lives.push(`${n}@${scheduler.now()}`) },
        ),
      )
      .subscribe();
    scheduler.flush();
  });
  return lives;
};

/** Runs V8's garbage collector (exposed for this file), so a test can see what is still reachable. */
const collectGarbage = (): void => {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
};

describe('perCaseActor', () => {
  it('handles the messages of one case strictly in order, one at a time', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const log: string[] = [];
      const source = cold<Msg>('(abc)', { a: { key: 'x', n: 1, ms: 5 }, b: { key: 'x', n: 2, ms: 1 }, c: { key: 'x', n: 3, ms: 3 } });
      const out = source.pipe(perCaseActor((m) => m.key, timedWork(log, scheduler), { maxActiveCases: 4, idleMs: 100 }));
      expectObservable(out).toBe('-----a b--c', { a: 'x1', b: 'x2', c: 'x3' });
      scheduler.flush();
      expect(log).to.deep.equal(['start x1@0', 'start x2@5', 'start x3@6']);
    });
  });

  it('runs different cases in parallel up to the bound and not beyond', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const log: string[] = [];
      const values = {
        a: { key: 'a', n: 1, ms: 10 },
        b: { key: 'b', n: 1, ms: 10 },
        c: { key: 'c', n: 1, ms: 10 },
        d: { key: 'd', n: 1, ms: 10 },
      };
      const out = cold<Msg>('(abcd)', values).pipe(
        perCaseActor((m) => m.key, timedWork(log, scheduler), { maxActiveCases: 2, idleMs: 100 }),
      );
      expectObservable(out).toBe('----------(ab)------(cd)', { a: 'a1', b: 'b1', c: 'c1', d: 'd1' });
      scheduler.flush();
      expect(log).to.deep.equal(['start a1@0', 'start b1@0', 'start c1@10', 'start d1@10']);
    });
  });

  it('loses no message when many more cases than the bound arrive at once', () => {
    const scheduler = newTestScheduler();
    scheduler.run(() => {
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      const seen: string[] = [];
      from(keys.flatMap((key) => [`${key}/1`, `${key}/2`]))
        .pipe(
          perCaseActor(
            (m) => m.split('/')[0]!,
            (m) => timer(1, scheduler).pipe(map(() => m)),
            { maxActiveCases: 3, idleMs: 5 },
          ),
        )
        .subscribe((m) => seen.push(m));
      scheduler.flush();
      expect(seen).to.have.length(100);
      expect(seen).to.have.members(keys.flatMap((key) => [`${key}/1`, `${key}/2`]));
      for (const key of keys) expect(seen.indexOf(`${key}/1`)).to.be.below(seen.indexOf(`${key}/2`));
    });
  });

  it('releases an idle case with its memory and starts it afresh on its next message', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: { key: 'x', n: 1, ms: 2 }, b: { key: 'x', n: 2, ms: 2 }, c: { key: 'x', n: 3, ms: 2 } };
      const lives: number[] = [];
      const out = cold<Msg>('a 4ms b 19ms c', values).pipe(
        perCaseActor((m) => m.key, countingWork(scheduler), { maxActiveCases: 1, idleMs: 10 }, { onActorsChanged: (n) => lives.push(n) }),
      );
      // b arrives 3 ms after a finished (not yet idle): same memory; c arrives after release: fresh memory.
      expectObservable(out).toBe('--a 4ms b 19ms c', { a: '1:1', b: '2:2', c: '3:1' });
      scheduler.flush();
      expect(lives).to.deep.equal([1, 0, 1, 0]);
    });
  });

  it('hands a released case its memory back on its next message when released memories are kept', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: { key: 'x', n: 1, ms: 2 }, b: { key: 'x', n: 2, ms: 2 } };
      const lives: number[] = [];
      // a ends at 2 and x is released at 12; b arrives at 20, to a new actor with a's memory.
      const out = cold<Msg>('a 19ms b', values).pipe(
        perCaseActor(
          (m) => m.key,
          countingWork(scheduler),
          { maxActiveCases: 1, idleMs: 10, keepReleased: 10 },
          { onActorsChanged: (n) => lives.push(n) },
        ),
      );
      expectObservable(out).toBe('--a 19ms b', { a: '1:1', b: '2:2' });
      scheduler.flush();
      expect(lives).to.deep.equal([1, 0, 1, 0]);
    });
  });

  it('forgets the memory of the case released longest ago once more cases are released than it keeps', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = {
        a: { key: 'x', n: 1, ms: 1 },
        b: { key: 'y', n: 1, ms: 1 },
        c: { key: 'z', n: 1, ms: 1 },
        d: { key: 'x', n: 2, ms: 1 },
        e: { key: 'z', n: 2, ms: 1 },
      };
      // x, y and z are released at 11, 12 and 13 with 2 memories kept: x's is forgotten, z's is not.
      const out = cold<Msg>('a b c 16ms d e', values).pipe(
        perCaseActor((m) => m.key, countingWork(scheduler), { maxActiveCases: 4, idleMs: 10, keepReleased: 2 }),
      );
      expectObservable(out).toBe('- a b c 16ms d e', { a: '1:1', b: '1:1', c: '1:1', d: '2:1', e: '2:2' });
    });
  });

  it('does not release a case while its last message is still running, so a message arriving then keeps its order', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const log: string[] = [];
      // a runs 30 ms, far longer than idleMs; b for the same case arrives while a still runs.
      const values = { a: { key: 'x', n: 1, ms: 30 }, b: { key: 'x', n: 2, ms: 1 } };
      const out = cold<Msg>('a 19ms b', values).pipe(
        perCaseActor((m) => m.key, timedWork(log, scheduler), { maxActiveCases: 4, idleMs: 5 }),
      );
      expectObservable(out).toBe('30ms a b', { a: 'x1', b: 'x2' });
      scheduler.flush();
      expect(log).to.deep.equal(['start x1@0', 'start x2@30']);
    });
  });

  it('re-opens a released case in order when a message arrives right after the release', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const log: string[] = [];
      const values = { a: { key: 'x', n: 1, ms: 2 }, b: { key: 'x', n: 2, ms: 3 }, c: { key: 'x', n: 3, ms: 1 } };
      // a ends at 2, released at 7; b arrives at 7 (right after release), c at 8 while b runs.
      const out = cold<Msg>('a 6ms b c', values).pipe(
        perCaseActor((m) => m.key, timedWork(log, scheduler), { maxActiveCases: 4, idleMs: 5 }),
      );
      expectObservable(out).toBe('--a 7ms b c', { a: 'x1', b: 'x2', c: 'x3' });
      scheduler.flush();
      expect(log).to.deep.equal(['start x1@0', 'start x2@7', 'start x3@10']);
    });
  });

  it('completes once the source has completed and every case has finished its messages', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: { key: 'x', n: 1, ms: 3 }, b: { key: 'y', n: 1, ms: 5 } };
      const out = cold<Msg>('(ab|)', values).pipe(perCaseActor((m) => m.key, timedWork([], scheduler), { maxActiveCases: 4, idleMs: 100 }));
      expectObservable(out).toBe('---a-(b|)', { a: 'x1', b: 'y1' });
    });
  });

  it('fails with the error of a case whose work fails, and stops the work of the other cases', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const stopped: string[] = [];
      const work = (m: Msg) =>
        m.key === 'bad'
          ? timer(2).pipe(
              map(() => {
                throw new Error('refused');
              }),
            )
          : stoppableWork(stopped)(m);
      const out = cold<Msg>('(ab)', { a: { key: 'x', n: 1, ms: 10 }, b: { key: 'bad', n: 1, ms: 0 } }).pipe(
        perCaseActor((m) => m.key, work, { maxActiveCases: 4, idleMs: 100 }),
      );
      expectObservable(out).toBe('--#', undefined, new Error('refused'));
      flush();
      expect(stopped).to.deep.equal(['x']);
    });
  });

  it('stops the running work of every case when unsubscribed', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const stopped: string[] = [];
      const work = stoppableWork(stopped);
      const out = cold<Msg>('(ab)', { a: { key: 'x', n: 1, ms: 10 }, b: { key: 'y', n: 1, ms: 20 } }).pipe(
        perCaseActor((m) => m.key, work, { maxActiveCases: 4, idleMs: 100 }),
      );
      expectObservable(out, '^----!').toBe('-');
      flush();
      expect(stopped).to.have.members(['x', 'y']);
    });
  });

  it("stops a case's work at once when the consumer unsubscribes during that work's first result", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const stopped: number[] = [];
      const work = (m: Msg) =>
        concat(of(`${m.key} started`), timer(m.ms).pipe(map(() => `${m.key} done`))).pipe(finalize(() => stopped.push(scheduler.now())));
      const out = cold<Msg>('a', { a: { key: 'x', n: 1, ms: 10 } }).pipe(
        perCaseActor((m) => m.key, work, { maxActiveCases: 4, idleMs: 100 }),
        take(1),
      );
      expectObservable(out).toBe('(a|)', { a: 'x started' });
      flush();
      expect(stopped).to.deep.equal([0]);
    });
  });

  it('releases each case idleMs after its own last message finished, in the order they went idle', () => {
    const values = {
      a: { key: 'x', n: 1, ms: 4 },
      b: { key: 'y', n: 1, ms: 1 },
      c: { key: 'z', n: 1, ms: 10 },
      d: { key: 'y', n: 2, ms: 1 },
    };
    // x idle at 4, y at 2 and again at 7 (after its second message), z at 12.
    expect(liveActors('abc 3ms d', values, 10)).to.deep.equal(['1@0', '2@1', '3@2', '2@14', '1@17', '0@22']);
  });

  it('keeps a case live while its messages keep coming within idleMs', () => {
    const values = { a: { key: 'x', n: 1, ms: 1 }, b: { key: 'x', n: 2, ms: 1 }, c: { key: 'x', n: 3, ms: 1 } };
    expect(liveActors('a 7ms b 7ms c', values, 10)).to.deep.equal(['1@0', '0@27']);
  });

  it('releases a case as soon as its last message finished once the source has completed', () => {
    const values = { a: { key: 'x', n: 1, ms: 3 }, b: { key: 'y', n: 1, ms: 5 } };
    expect(liveActors('(ab|)', values, 100)).to.deep.equal(['1@0', '2@0', '1@3', '0@5']);
  });

  it('lets go of a released case entirely, so nothing keeps its memory reachable', async () => {
    const scheduler = new VirtualTimeScheduler();
    const source = new Subject<Msg>();
    let memory: WeakRef<object> | undefined;
    const lives: number[] = [];
    const work = (m: Msg, memo: ActorMemo<object>) => {
      memo.state = { n: m.n };
      memory = new WeakRef(memo.state);
      return of(m.n);
    };
    const subscription = source
      .pipe(perCaseActor((m) => m.key, work, { maxActiveCases: 1, idleMs: 10, scheduler }, { onActorsChanged: (n) => lives.push(n) }))
      .subscribe();
    source.next({ key: 'x', n: 1, ms: 0 });
    scheduler.flush();
    expect(lives).to.deep.equal([1, 0]);
    // A WeakRef's target is kept until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(memory?.deref()).to.equal(undefined);
    subscription.unsubscribe();
  });

  it('stops listening to the source when the consumer unsubscribes, with cases both released and live', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      // x and y are released by 16; z still runs then.
      const values = { a: { key: 'x', n: 1, ms: 1 }, b: { key: 'y', n: 1, ms: 1 }, c: { key: 'z', n: 1, ms: 5 } };
      const source = cold<Msg>('a 5ms b 7ms c', values);
      const out = source.pipe(perCaseActor((m) => m.key, timedWork([], scheduler), { maxActiveCases: 4, idleMs: 3 }));
      expectObservable(out, '^ 15ms !').toBe('-a 5ms b', { a: 'x1', b: 'y1' });
      expectSubscriptions(source.subscriptions).toBe('^ 15ms !');
    });
  });

  it('fails with the error of a key function that throws, and stops the work of the other cases', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const stopped: string[] = [];
      const work = stoppableWork(stopped);
      const keyOf = (m: Msg) => {
        if (m.key === '') throw new Error('no case id');
        return m.key;
      };
      const out = cold<Msg>('a-b', { a: { key: 'x', n: 1, ms: 10 }, b: { key: '', n: 1, ms: 1 } }).pipe(
        perCaseActor(keyOf, work, { maxActiveCases: 4, idleMs: 100 }),
      );
      expectObservable(out).toBe('--#', undefined, new Error('no case id'));
      flush();
      expect(stopped).to.deep.equal(['x']);
    });
  });

  it('runs a long line of cases whose work finishes at once without exhausting the stack', () => {
    // One slow case holds the only permit while 20 000 others queue; their work then completes synchronously.
    const gate = new Subject<string>();
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
    const seen: string[] = [];
    let failure: unknown;
    from(keys)
      .pipe(
        perCaseActor(
          (k) => k,
          (k) => (k === 'k0' ? gate : of(k)),
          { maxActiveCases: 1, idleMs: 1_000 },
        ),
      )
      .subscribe({ next: (k) => seen.push(k), error: (error: unknown) => (failure = error) });
    gate.next('k0');
    gate.complete();
    expect(failure).to.equal(undefined);
    expect(seen).to.deep.equal(keys);
  });
});
