import { expect } from 'chai';
import type { Observable } from 'rxjs';
import type { NotificationRequired } from '../../../src/domain/events.js';
import { notificationsOf, publishNotifications } from '../../../src/streams/steps/publishNotifications.js';
import type { NotificationPublisher } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { activeRule, decided, ruleAnswer, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

const publisherAnswering = (answer: () => Observable<void>) => {
  const published: (readonly NotificationRequired[])[] = [];
  const publisher: NotificationPublisher = {
    publish: (events) => {
      published.push(events);
      return answer();
    },
  };
  return { publisher, published };
};

describe('publishNotifications', () => {
  it('publishes only the NotificationRequired events of the message, and passes the work on once published', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('client-1'), { offset: 0 })), ruleAnswer);
      expect(w.events).to.have.length(5);
      const { publisher, published } = publisherAnswering(() => cold('---|'));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(publishNotifications(publisher)))).toBe('---(w|)', { w });
      scheduler.flush();
      expect(published).to.have.length(1);
      expect(published[0]!.map((e) => e.event_type)).to.deep.equal(['NotificationRequired']);
      expect(published[0]![0]!.payload.notification_type).to.equal(activeRule.notification_type);
      expect(published[0]![0]!.aggregate_id).to.equal(w.command!.case_id);
    });
  });

  it('makes no call when the message has no notification', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const noRule = decided(workOf(recordOf(kybMessage('c'), { offset: 0 })), { kind: 'no-rule' });
      const rejected = workOf(recordOf('"text"', { offset: 1 }));
      const { publisher, published } = publisherAnswering(() => cold('---|'));
      expectObservable(cold('(ab|)', { a: noRule, b: rejected }).pipe(asOperator(publishNotifications(publisher)))).toBe('(ab|)', {
        a: noRule,
        b: rejected,
      });
      scheduler.flush();
      expect(published).to.deep.equal([]);
    });
  });

  it("leaves a redelivery's notifications to the outbox relay, which publishes them as stored (erased names masked)", () => {
    const w = { ...decided(workOf(recordOf(kycMessage('c'), { offset: 0 })), ruleAnswer), duplicates: 5 };
    let calls: (readonly NotificationRequired[])[] | undefined;
    newTestScheduler().run(({ cold, expectObservable }) => {
      const { publisher, published } = publisherAnswering(() => cold('---|'));
      calls = published;
      expectObservable(cold('(w|)', { w }).pipe(asOperator(publishNotifications(publisher)))).toBe('(w|)', { w });
    });
    expect(calls, 'after the run').to.deep.equal([]);
  });

  it('passes a publishing failure on so the message is retried', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c'), { offset: 0 })), ruleAnswer);
      const { publisher } = publisherAnswering(() => cold<void>('-#', undefined, new Error('broker down')));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(publishNotifications(publisher)))).toBe(
        '-#',
        undefined,
        new Error('broker down'),
      );
    });
  });

  describe('notificationsOf', () => {
    it('picks the notifications among the events in their order', () => {
      const w = decided(workOf(recordOf(kycMessage('c'), { offset: 0 })), ruleAnswer);
      const twice = { ...w, events: [...w.events, ...w.events] };
      expect(notificationsOf(twice).map((e) => e.version)).to.deep.equal([5, 5]);
      expect(notificationsOf(decided(workOf(recordOf(kycMessage('c'), { offset: 0 }))))).to.deep.equal([]);
    });
  });
});
