import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { evolveCase } from '../../../src/domain/caseState.js';
import type { RecordedNotification } from '../../../src/domain/notificationRequeue.js';
import type { NotificationOutbox } from '../../../src/streams/ports.js';
import type { CaseWork } from '../../../src/streams/steps/caseWork.js';
import { requeueNotifications } from '../../../src/streams/steps/requeueNotifications.js';
import { newTestScheduler } from '../../support/marbles.js';
import { kycMessage, recordOf } from '../../support/records.js';
import { asOperator } from '../../support/steps.js';
import { decided, ruleAnswer, workOf } from './work.js';

const outboxAnswering = (answer: () => Observable<void>) => {
  const requeued: (readonly RecordedNotification[])[] = [];
  const outbox: NotificationOutbox = {
    requeue: (notifications) => {
      requeued.push(notifications);
      return answer();
    },
  };
  return { outbox, requeued };
};

const creation = recordOf(kycMessage('client-1'), { offset: 0 });
const first = decided(workOf(creation), ruleAnswer);
const notification = first.events.at(-1)!;
/** The same message delivered again after a crash: its case, notified, loaded from the store. */
const redelivered: CaseWork = decided({ ...workOf(creation, evolveCase(first.state!, first.events)), loaded: true }, ruleAnswer);

describe('requeueNotifications', () => {
  it("puts a redelivered creation's recorded notification back in the outbox, and passes the work on once it is there", () => {
    expect(redelivered.events, 'the redelivery records nothing').to.deep.equal([]);
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const { outbox, requeued } = outboxAnswering(() => cold('---|'));
      expectObservable(cold('(w|)', { w: redelivered }).pipe(asOperator(requeueNotifications(outbox)))).toBe('---(w|)', { w: redelivered });
      flush();
      expect(requeued).to.deep.equal([
        [{ event_id: notification.event_id, aggregate_id: notification.aggregate_id, version: notification.version }],
      ]);
    });
  });

  it('makes no call for a first delivery, which records and publishes its notification itself, nor for a rejected message', () => {
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const rejected = workOf(recordOf('"text"', { offset: 1 }));
      const { outbox, requeued } = outboxAnswering(() => cold('---|'));
      expectObservable(cold('(ab|)', { a: first, b: rejected }).pipe(asOperator(requeueNotifications(outbox)))).toBe('(ab|)', {
        a: first,
        b: rejected,
      });
      flush();
      expect(requeued).to.deep.equal([]);
    });
  });

  it('passes a failure to write the entry on, so the message is retried rather than its notification lost', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const { outbox } = outboxAnswering(() => cold<void>('-#', undefined, new Error('outbox insert failed')));
      expectObservable(cold('(w|)', { w: redelivered }).pipe(asOperator(requeueNotifications(outbox)))).toBe(
        '-#',
        undefined,
        new Error('outbox insert failed'),
      );
    });
  });
});
