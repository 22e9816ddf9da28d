import { expect } from 'chai';
import { map, type Observable } from 'rxjs';
import type { Rejection } from '../../../src/domain/rejection.js';
import { deadLetter } from '../../../src/streams/steps/deadLetter.js';
import type { DeadLetterSink } from '../../../src/streams/ports.js';
import type { InboundRecord } from '../../../src/streams/records.js';
import { newTestScheduler } from '../../support/marbles.js';
import { kycMessage, recordOf } from '../../support/records.js';
import { decided, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

const sinkAnswering = (answer: () => Observable<void>) => {
  const sent: { record: InboundRecord; why: Rejection }[] = [];
  const sink: DeadLetterSink = {
    send: (record, why) => {
      sent.push({ record, why });
      return answer();
    },
  };
  return { sink, sent };
};

describe('deadLetter', () => {
  it('sends a rejected message with its reasons, and passes the work on once the dead letter is written', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const record = recordOf({ ...kycMessage('c'), persons: 'nobody' }, { partition: 3, offset: 17 });
      const w = workOf(record);
      const { sink, sent } = sinkAnswering(() => cold('--(x|)', { x: undefined }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(deadLetter(sink)))).toBe('--(w|)', { w });
      scheduler.flush();
      expect(sent).to.have.length(1);
      expect(sent[0]!.record).to.equal(record);
      expect(sent[0]!.why).to.deep.equal({
        reason: 'invalid client data message: $.persons must be an array',
        details: [{ path: '$.persons', rule: 'must be an array' }],
      });
    });
  });

  it('dead-letters a message rejected by the decision too', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const why: Rejection = { reason: 'unknown case case-404', details: [{ path: '$.case_id', rule: 'must name an existing case' }] };
      const w = { ...decided(workOf(recordOf(kycMessage('c'), { offset: 0 }))), events: [], rejection: why };
      const { sink, sent } = sinkAnswering(() => cold('-|'));
      cold('(w|)', { w })
        .pipe(asOperator(deadLetter(sink)))
        .subscribe();
      scheduler.flush();
      expect(sent.map((s) => s.why)).to.deep.equal([why]);
    });
  });

  it('passes the work on when the sink completes without a value', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = workOf(recordOf('[]', { offset: 0 }));
      const { sink } = sinkAnswering(() => cold('---|'));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(deadLetter(sink)))).toBe('---(w|)', { w });
    });
  });

  it('sends nothing for an accepted message and passes it at once', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c'), { offset: 0 })));
      const { sink, sent } = sinkAnswering(() => cold('---|'));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(deadLetter(sink)))).toBe('(w|)', { w });
      scheduler.flush();
      expect(sent).to.deep.equal([]);
    });
  });

  it('passes a sink failure on so the message is retried rather than lost', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const { sink } = sinkAnswering(() => cold<void>('--#', undefined, new Error('broker down')));
      expectObservable(cold('(w|)', { w: workOf(recordOf('[]', { offset: 0 })) }).pipe(asOperator(deadLetter(sink)))).toBe(
        '--#',
        undefined,
        new Error('broker down'),
      );
    });
  });

  it('keeps the order of messages while one is being dead-lettered', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const bad = workOf(recordOf('[]', { offset: 0 }));
      const good = decided(workOf(recordOf(kycMessage('c'), { offset: 1 })));
      const { sink } = sinkAnswering(() => cold('----|'));
      const out = cold('(ab|)', { a: bad, b: good }).pipe(
        asOperator(deadLetter(sink)),
        map((w) => w.record.offset),
      );
      expectObservable(out).toBe('----(ab|)', { a: '0', b: '1' });
    });
  });
});
