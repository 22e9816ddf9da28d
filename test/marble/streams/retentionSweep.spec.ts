import { expect } from 'chai';
import { asyncScheduler, defer, map, throwError, timer, type Observable } from 'rxjs';
import { retentionSweep, type ExpiredRecords, type SweepReport, type SweepTarget } from '../../../src/streams/retentionSweep.js';
import { newTestScheduler } from '../../support/marbles.js';

/** Records by target, each a time (virtual ms) it was stored at; a batch takes `batchMs`. */
class MemoryRecords implements ExpiredRecords {
  readonly calls: { target: string; at: number; before: number; limit: number }[] = [];
  failing = new Set<string>();
  constructor(
    readonly stored: Record<string, number[]>,
    private readonly batchMs = 0,
  ) {}
  deleteExpired(target: SweepTarget, before: Date, limit: number): Observable<{ deleted: number; more: boolean }> {
    return defer(() => {
      this.calls.push({ target: target.name, at: asyncScheduler.now(), before: before.getTime(), limit });
      if (this.failing.has(target.name)) return throwError(() => new Error(`${target.name} unavailable`));
      const all = this.stored[target.name] ?? [];
      const expired = all.filter((t) => t < before.getTime()).slice(0, limit);
      this.stored[target.name] = all.filter((t) => !expired.includes(t));
      return timer(this.batchMs).pipe(map(() => ({ deleted: expired.length, more: expired.length === limit })));
    });
  }
}

const summary = (r: SweepReport) => (r.kind === 'swept' ? `${r.target}-${r.deleted}` : `${r.target}-failed`);

describe('retentionSweep', () => {
  it('deletes the records older than each target keeps them, target after target, once per interval', () => {
    newTestScheduler().run(({ expectObservable, flush }) => {
      // raw copies kept 100 ms, idempotency keys 50 ms; stored at negative times to be old at the start
      const records = new MemoryRecords({ raw: [-300, -200, -50, 0], keys: [-60, -10] });
      const targets = [
        { name: 'raw', maxAgeMs: 100 },
        { name: 'keys', maxAgeMs: 50 },
      ];
      const reports = retentionSweep(records, targets, { intervalMs: 1000, batchSize: 10 }).pipe(map(summary));
      expectObservable(reports, '^ 1500ms !').toBe('(ab) 996ms (cd)', { a: 'raw-2', b: 'keys-1', c: 'raw-2', d: 'keys-1' });
      flush();
      expect(records.calls.slice(0, 2)).to.deep.equal([
        { target: 'raw', at: 0, before: -100, limit: 10 },
        { target: 'keys', at: 0, before: -50, limit: 10 },
      ]);
      expect(records.stored).to.deep.equal({ raw: [], keys: [] });
    });
  });

  it('comes back after the catch-up pause while a batch was full, and at the interval once the backlog is gone', () => {
    newTestScheduler().run(({ expectObservable }) => {
      const records = new MemoryRecords({ raw: [-900, -800, -700, -600, -500] });
      const reports = retentionSweep(records, [{ name: 'raw', maxAgeMs: 100 }], { intervalMs: 1000, batchSize: 2, catchUpMs: 10 });
      expectObservable(reports.pipe(map(summary)), '^ 1100ms !').toBe('a 9ms b 9ms c 999ms d', {
        a: 'raw-2',
        b: 'raw-2',
        c: 'raw-1',
        d: 'raw-0',
      });
    });
  });

  it('never runs a pass while the previous one is still deleting: the interval counts from its end', () => {
    newTestScheduler().run(({ flush }) => {
      const records = new MemoryRecords({ raw: [] }, 30);
      const sub = retentionSweep(records, [{ name: 'raw', maxAgeMs: 100 }], { intervalMs: 10, batchSize: 5 }).subscribe();
      timer(100).subscribe(() => sub.unsubscribe());
      flush();
      expect(records.calls.map((c) => c.at)).to.deep.equal([0, 40, 80]);
    });
  });

  it('reports a failing target and sweeps the others; the next pass tries it again', () => {
    newTestScheduler().run(({ expectObservable }) => {
      const records = new MemoryRecords({ raw: [-500], keys: [-500] });
      records.failing.add('raw');
      timer(50).subscribe(() => records.failing.clear());
      const reports = retentionSweep(
        records,
        [
          { name: 'raw', maxAgeMs: 100 },
          { name: 'keys', maxAgeMs: 100 },
        ],
        { intervalMs: 100, batchSize: 5 },
      ).pipe(map(summary));
      expectObservable(reports, '^ 150ms !').toBe('(ab) 96ms (cd)', { a: 'raw-failed', b: 'keys-1', c: 'raw-1', d: 'keys-0' });
    });
  });
});
