import { expect } from 'chai';
import { defer, map, of, takeUntil, throwError, timer, type Observable } from 'rxjs';
import type { NotificationRequired } from '../../../src/domain/events.js';
import { outboxRelay, type OutboxStore, type RelayReport } from '../../../src/streams/outboxRelay.js';
import type { NotificationPublisher } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';

const notification = (aggregate_id: string, version: number): NotificationRequired =>
  ({ event_id: `${aggregate_id}-${version}`, event_type: 'NotificationRequired', aggregate_id, version }) as NotificationRequired;

/** An outbox over an in-memory list: publishing acknowledges, like the Kafka sink marking events published. */
class MemoryOutbox implements OutboxStore {
  readonly acknowledged: string[] = [];
  lastCutoff: Date | undefined;
  constructor(public pending: NotificationRequired[]) {}
  pendingNotifications(limit: number, appendedBefore: Date): Observable<NotificationRequired[]> {
    return defer(() => {
      this.lastCutoff = appendedBefore;
      return of(this.pending.slice(0, limit));
    });
  }
  acknowledge(events: readonly NotificationRequired[]) {
    const ids = new Set(events.map((e) => e.event_id));
    this.acknowledged.push(...events.map((e) => e.event_id));
    this.pending = this.pending.filter((e) => !ids.has(e.event_id));
  }
}

const publisherOf = (outbox: MemoryOutbox, kafkaUp: () => boolean, sent: string[][], ms = 1): NotificationPublisher => ({
  publish: (events) =>
    timer(ms).pipe(
      map(() => {
        if (!kafkaUp()) throw new Error('broker unavailable');
        sent.push(events.map((e) => e.event_id));
        outbox.acknowledge(events);
      }),
    ),
});

const summary = (r: RelayReport) => (r.kind === 'relayed' ? `ok${r.published}` : `fail${r.published}`);

describe('outboxRelay', () => {
  it('publishes every unacknowledged notification in case order, batch after batch, and records each acknowledgement', () => {
    newTestScheduler().run(({ expectObservable, flush }) => {
      const outbox = new MemoryOutbox([
        notification('a', 2),
        notification('a', 5),
        notification('b', 3),
        notification('c', 9),
        notification('d', 4),
      ]);
      const sent: string[][] = [];
      const reports = outboxRelay(
        outbox,
        publisherOf(outbox, () => true, sent),
        { intervalMs: 100, batchSize: 2, graceMs: 0 },
      ).pipe(map(summary));
      expectObservable(reports, '^ 150ms !').toBe('---a 96ms b', { a: 'ok5', b: 'ok0' });
      flush();
      expect(sent).to.deep.equal([['a-2', 'a-5'], ['b-3', 'c-9'], ['d-4']]);
    });
  });

  it('leaves alone what is already acknowledged and publishes nothing twice', () => {
    newTestScheduler().run(({ flush }) => {
      const outbox = new MemoryOutbox([notification('a', 2)]);
      const sent: string[][] = [];
      outboxRelay(
        outbox,
        publisherOf(outbox, () => true, sent),
        { intervalMs: 10, batchSize: 10, graceMs: 0 },
      )
        .pipe(takeUntil(timer(50)))
        .subscribe();
      flush();
      expect(sent).to.deep.equal([['a-2']]);
      expect(outbox.acknowledged).to.deep.equal(['a-2']);
    });
  });

  it('keeps unacknowledged notifications while Kafka is down and publishes them once it is back', () => {
    newTestScheduler().run(({ expectObservable }) => {
      const outbox = new MemoryOutbox([notification('a', 2), notification('b', 2)]);
      const sent: string[][] = [];
      let up = false;
      // Kafka comes back at 25 ms; the relay runs every 10 ms.
      timer(25).subscribe(() => (up = true));
      const reports = outboxRelay(
        outbox,
        publisherOf(outbox, () => up, sent),
        { intervalMs: 10, batchSize: 10, graceMs: 0 },
      ).pipe(map(summary));
      expectObservable(reports, '^ 45ms !').toBe('-a 9ms b 9ms c 9ms d 8ms e', { a: 'fail0', b: 'fail0', c: 'fail0', d: 'ok2', e: 'ok0' });
    });
  });

  it('leaves notifications younger than the grace period to the fast path', () => {
    newTestScheduler().run(({ flush }) => {
      const outbox = new MemoryOutbox([]);
      outboxRelay(
        outbox,
        { publish: () => throwError(() => new Error('unused')) },
        { intervalMs: 10, batchSize: 10, graceMs: 5000, now: () => 60_000 },
      )
        .pipe(takeUntil(timer(5)))
        .subscribe();
      flush();
      expect(outbox.lastCutoff?.getTime()).to.equal(55_000);
    });
  });
});
