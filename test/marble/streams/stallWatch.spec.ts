import { OffsetLedger } from '../../../src/streams/offsetLedger.js';
import { watchStalls } from '../../../src/streams/stallWatch.js';
import type { RecordPosition } from '../../../src/streams/records.js';
import { newTestScheduler } from '../../support/marbles.js';

const at = (offset: number, partition = 0): RecordPosition => ({ topic: 'kyc_events', partition, offset: String(offset) });

describe('watchStalls', () => {
  it('reports a stall once when it starts, keeps it listed while it lasts, and drops it on progress', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const ledger = new OffsetLedger(() => scheduler.now());
      ledger.track(at(4));
      const stuck = { topic: 'kyc_events', partition: 0, offset: '4' };
      scheduler.schedule(() => ledger.complete(at(4)), 35);
      const reports = watchStalls(ledger, { stallMs: 20, everyMs: 10, scheduler });
      expectObservable(reports, '^ 50ms !').toBe('10ms a 9ms b 9ms c 9ms d 9ms e', {
        a: { stalled: [], newlyStalled: [] },
        b: { stalled: [{ ...stuck, since_ms: 20 }], newlyStalled: [{ ...stuck, since_ms: 20 }] },
        c: { stalled: [{ ...stuck, since_ms: 30 }], newlyStalled: [] },
        d: { stalled: [], newlyStalled: [] },
        e: { stalled: [], newlyStalled: [] },
      });
    });
  });
});
