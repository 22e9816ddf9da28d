import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { idFor } from '../../../src/domain/deterministicId.js';
import { DEFAULT_DECODE_LIMITS } from '../../../src/domain/decodeLimits.js';
import { startWork } from '../../../src/streams/steps/caseWork.js';
import { decodeInbound } from '../../../src/streams/steps/decodeRecord.js';
import { recordRawEvent } from '../../../src/streams/steps/recordRawEvent.js';
import type { RawEventEntry, RawEventLog } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kycMessage, recordOf } from '../../support/records.js';
import { decided, topics, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

const NOW = new Date('2026-02-03T04:05:06.000Z');
const now = () => NOW;
/** The timestamp Kafka gave the test records (test/support/records.ts). */
const RECEIVED = new Date(1767225600000);

const logAnswering = (answer: () => Observable<void>) => {
  const entries: RawEventEntry[] = [];
  const log: RawEventLog = {
    record: (entry) => {
      entries.push(entry);
      return answer();
    },
  };
  return { log, entries };
};

describe('recordRawEvent', () => {
  it('keeps a processed client message as received, and passes the work on once it is written', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('client-1'), { offset: 7 })));
      const { log, entries } = logAnswering(() => cold('--(x|)', { x: undefined }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(recordRawEvent(log, now)))).toBe('--(w|)', { w });
      scheduler.flush();
      expect(entries).to.deep.equal([
        { id: idFor('kyc_events/0/7', 'raw'), payload: kycMessage('client-1'), received_at: RECEIVED, status: 'processed' },
      ]);
    });
  });

  it('keeps a rejected client message with why it was rejected', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const bad = { ...kycMessage('c'), version: '2.0' };
      const w = workOf(recordOf(bad, { offset: 2 }));
      const { log, entries } = logAnswering(() => cold('-|'));
      cold('(w|)', { w })
        .pipe(asOperator(recordRawEvent(log, now)))
        .subscribe();
      scheduler.flush();
      expect(entries).to.have.length(1);
      expect(entries[0]).to.deep.equal({
        id: idFor('kyc_events/0/2', 'raw'),
        payload: bad,
        received_at: RECEIVED,
        status: 'rejected',
        error: w.rejection,
      });
      expect(entries[0]!.error?.details).to.deep.equal([{ path: '$.version', rule: 'must be exactly "1.0"' }]);
    });
  });

  it('keeps a message the database could not store as a document, however deep, as the text received', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      // As deep as the largest MAX_JSON_DEPTH lets through: far deeper than a document may nest.
      const text = JSON.stringify({ ...kycMessage('c'), version: '9' }).replace(/}$/, `,"deep":${'{"x":'.repeat(990)}1${'}'.repeat(990)}}`);
      const decodeDeep = decodeInbound(topics, { ...DEFAULT_DECODE_LIMITS, maxJsonDepth: 1_000 });
      const w = startWork(decodeDeep({ ...recordOf(kycMessage('c'), { offset: 3 }), value: Buffer.from(text) }), null);
      const { log, entries } = logAnswering(() => cold('(x|)', { x: undefined }));
      cold('(w|)', { w })
        .pipe(asOperator(recordRawEvent(log, now)))
        .subscribe();
      scheduler.flush();
      expect(entries.map((e) => [e.status, e.payload])).to.deep.equal([['rejected', text]]);
    });
  });

  it('derives the entry id from the message-id header, so a redelivery writes the same entry', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const first = decided(workOf(recordOf(kycMessage('c'), { offset: 1, headers: { 'message-id': 'msg-9' } })));
      const again = decided(workOf(recordOf(kycMessage('c'), { partition: 5, offset: 400, headers: { 'message-id': 'msg-9' } })));
      const { log, entries } = logAnswering(() => cold('(x|)', { x: undefined }));
      cold('(ab|)', { a: first, b: again })
        .pipe(asOperator(recordRawEvent(log, now)))
        .subscribe();
      scheduler.flush();
      expect(entries.map((e) => e.id)).to.deep.equal([idFor('msg-9', 'raw'), idFor('msg-9', 'raw')]);
    });
  });

  it('writes nothing when there is no parsed client message: a case command, or a value that is not a JSON object', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const command = workOf(
        recordOf(
          { command_type: 'DetermineDocumentRequirements', command_id: 'x', case_id: 'y', entity_id: 'z', entity_type: 'PERSON' },
          {
            topic: COMMAND_TOPIC,
            offset: 0,
          },
        ),
      );
      const notJson = workOf(recordOf('{oops', { offset: 1 }));
      const { log, entries } = logAnswering(() => cold('---|'));
      expectObservable(cold('(ab|)', { a: command, b: notJson }).pipe(asOperator(recordRawEvent(log, now)))).toBe('(ab|)', {
        a: command,
        b: notJson,
      });
      scheduler.flush();
      expect(entries).to.deep.equal([]);
    });
  });

  it('stamps the entry with the time Kafka received the message, the same on a redelivery; with the current time when the record has none', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const { log, entries } = logAnswering(() => cold('(x|)', { x: undefined }));
      const a = workOf({ ...recordOf(kycMessage('a'), { offset: 0 }), timestamp: String(Date.UTC(2026, 0, 1, 0, 0, 1)) });
      const b = workOf({ ...recordOf(kycMessage('b'), { offset: 1 }), timestamp: '' });
      cold('(aab|)', { a, b })
        .pipe(asOperator(recordRawEvent(log, now)))
        .subscribe();
      scheduler.flush();
      expect(entries.map((e) => e.received_at.toISOString())).to.deep.equal([
        '2026-01-01T00:00:01.000Z',
        '2026-01-01T00:00:01.000Z',
        NOW.toISOString(),
      ]);
    });
  });

  it('passes a write failure on so the message is retried', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const { log } = logAnswering(() => cold<void>('--#', undefined, new Error('mongo down')));
      const w = workOf(recordOf(kycMessage('c'), { offset: 0 }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(recordRawEvent(log, now)))).toBe('--#', undefined, new Error('mongo down'));
    });
  });
});
