import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import { idFor } from '../../../src/domain/deterministicId.js';
import { recordLookupFailure } from '../../../src/streams/steps/recordLookupFailure.js';
import type { LookupFailure, LookupFailureLog, LookupResolution } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kycMessage, recordOf } from '../../support/records.js';
import { caseAwaitingRetry, decided, ruleAnswer, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

const at = new Date('2026-01-01T00:00:00Z');

const logAnswering = (answer: () => Observable<void>) => {
  const recorded: LookupFailure[] = [];
  const resolved: LookupResolution[] = [];
  const log: LookupFailureLog = {
    record: (f) => {
      recorded.push(f);
      return answer();
    },
    resolve: (r) => {
      resolved.push(r);
      return answer();
    },
  };
  return { log, recorded, resolved };
};

const { trigger: TRIGGER, caseId, storedCase, retryOf } = caseAwaitingRetry('c1');

describe('recordLookupFailure', () => {
  it('remembers a new case whose rule lookup was unavailable, and passes the work on once it is written', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 4 })), { kind: 'unavailable', reason: 'HTTP 503' });
      const { log, recorded } = logAnswering(() => cold('---(x|)', { x: undefined }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(recordLookupFailure(log, () => at)))).toBe('---(w|)', { w });
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
      expectObservable(cold('(ab|)', { a, b }).pipe(asOperator(recordLookupFailure(log)))).toBe('(ab|)', { a, b });
      scheduler.flush();
      expect(recorded).to.deep.equal([]);
    });
  });

  it('remembers nothing for case commands or rejected messages', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const command = workOf(
        recordOf(
          { command_type: 'UpdateDocumentStatus', command_id: 'x', case_id: 'c', document_requirement_id: 'd', new_status: 'UPLOADED' },
          { topic: COMMAND_TOPIC, offset: 1 },
        ),
      );
      const rejected = workOf(recordOf('not json', { offset: 2 }));
      const { log, recorded } = logAnswering(() => cold('-(x|)', { x: undefined }));
      expectObservable(cold('(ab|)', { a: command, b: rejected }).pipe(asOperator(recordLookupFailure(log)))).toBe('(ab|)', {
        a: command,
        b: rejected,
      });
      scheduler.flush();
      expect(recorded).to.deep.equal([]);
    });
  });

  it('remembers a retried lookup that failed again, under the trigger it retried', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(retryOf(), storedCase), { kind: 'unavailable', reason: 'circuit open' });
      const { log, recorded, resolved } = logAnswering(() => cold('--(x|)', { x: undefined }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(recordLookupFailure(log, () => at)))).toBe('--(w|)', { w });
      scheduler.flush();
      expect(recorded).to.deep.equal([{ case_id: caseId, trigger: TRIGGER, reason: 'circuit open', failed_at: at }]);
      expect(resolved).to.deep.equal([]);
    });
  });

  it('closes the failure of a retried lookup that notified, naming the notification, and passes the work on once it is written', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(retryOf(), storedCase), ruleAnswer);
      const { log, recorded, resolved } = logAnswering(() => cold('---(x|)', { x: undefined }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(recordLookupFailure(log, () => at)))).toBe('---(w|)', { w });
      scheduler.flush();
      expect(recorded).to.deep.equal([]);
      expect(resolved).to.deep.equal([
        { case_id: caseId, trigger: TRIGGER, resolved_at: at, outcome: 'notified', event_id: w.events[0]!.event_id },
      ]);
    });
  });

  it('closes the failure of a retried lookup that found no rule, found the case notified already, or named another trigger', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const notifiedCase = evolveCase(storedCase, decided(workOf(retryOf(), storedCase), ruleAnswer).events);
      const works = {
        a: decided(workOf(retryOf({}, 1), storedCase), { kind: 'no-rule' }),
        b: decided(workOf(retryOf({}, 2), notifiedCase), null),
        c: decided(workOf(retryOf({ trigger: 'CASE_CREATED_KYB_COMPANY_STANDARD' }, 3), storedCase), null),
      };
      const { log, resolved } = logAnswering(() => cold('(x|)', { x: undefined }));
      cold('(abc|)', works)
        .pipe(asOperator(recordLookupFailure(log, () => at)))
        .subscribe();
      scheduler.flush();
      expect(resolved.map((r) => [r.trigger, r.outcome])).to.deep.equal([
        [TRIGGER, 'no-rule'],
        [TRIGGER, 'already-notified'],
        ['CASE_CREATED_KYB_COMPANY_STANDARD', 'other-trigger'],
      ]);
    });
  });

  it('leaves the failure of a refused retry (a case that does not exist) as it is', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const w = decided(workOf(retryOf({ case_id: 'nobody' }), emptyCase('nobody')), ruleAnswer);
      expect(w.rejection?.reason).to.equal('unknown case nobody');
      const { log, recorded, resolved } = logAnswering(() => cold('(x|)', { x: undefined }));
      cold('(w|)', { w })
        .pipe(asOperator(recordLookupFailure(log)))
        .subscribe();
      scheduler.flush();
      expect([...recorded, ...resolved]).to.deep.equal([]);
    });
  });
});
