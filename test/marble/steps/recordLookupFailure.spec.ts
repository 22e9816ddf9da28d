import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { idFor } from '../../../src/domain/deterministicId.js';
import { recordLookupFailure } from '../../../src/streams/steps/recordLookupFailure.js';
import type { LookupFailure, LookupFailureLog } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kycMessage, recordOf } from '../../support/records.js';
import { decided, ruleAnswer, workOf } from './work.js';

const at = new Date('2026-01-01T00:00:00Z');

const logAnswering = (answer: () => Observable<void>) => {
  const recorded: LookupFailure[] = [];
  const log: LookupFailureLog = {
    record: (f) => {
      recorded.push(f);
      return answer();
    },
  };
  return { log, recorded };
};

describe('recordLookupFailure', () => {
  it('remembers a new case whose rule lookup was unavailable, and passes the work on once it is written', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 4 })), { kind: 'unavailable', reason: 'HTTP 503' });
      const { log, recorded } = logAnswering(() => cold('---(x|)', { x: undefined }));
      expectObservable(cold('(w|)', { w }).pipe(recordLookupFailure(log, () => at))).toBe('---(w|)', { w });
      scheduler.flush();
      expect(recorded).to.deep.equal([
        { case_id: idFor('kyc_events/0/4', 'case'), trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD', reason: 'HTTP 503', failed_at: at },
      ]);
    });
  });

  it('remembers nothing when the service answered, with a rule or without', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const a = decided(workOf(recordOf(kycMessage('c1'), { offset: 1 })), ruleAnswer);
      const b = decided(workOf(recordOf(kycMessage('c2'), { offset: 2 })), { kind: 'no-rule' });
      const { log, recorded } = logAnswering(() => cold('-(x|)', { x: undefined }));
      expectObservable(cold('(ab|)', { a, b }).pipe(recordLookupFailure(log))).toBe('(ab|)', { a, b });
      scheduler.flush();
      expect(recorded).to.deep.equal([]);
    });
  });

  it('remembers nothing for case commands or rejected messages', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const command = workOf(
        recordOf({ command_type: 'UpdateDocumentStatus', command_id: 'x', case_id: 'c', document_requirement_id: 'd', new_status: 'UPLOADED' }, { topic: COMMAND_TOPIC, offset: 1 }),
      );
      const rejected = workOf(recordOf('not json', { offset: 2 }));
      const { log, recorded } = logAnswering(() => cold('-(x|)', { x: undefined }));
      expectObservable(cold('(ab|)', { a: command, b: rejected }).pipe(recordLookupFailure(log))).toBe('(ab|)', { a: command, b: rejected });
      scheduler.flush();
      expect(recorded).to.deep.equal([]);
    });
  });
});
