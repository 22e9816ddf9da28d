import { expect } from 'chai';
import type { RetryNotificationLookup } from '../../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { CaseCommandWithContext, CommandContext } from '../../../src/domain/commands.js';
import { decide } from '../../../src/domain/decide.js';
import { caseCreatedTrigger } from '../../../src/domain/decideNotification.js';
import { isEventOf, type DomainEvent } from '../../../src/domain/events.js';
import { notificationsToRequeue } from '../../../src/domain/notificationRequeue.js';
import { contentOf, creationCommand, found, rawKybMessage, rawKycMessage, rightOf, welcomeRule } from './fixtures.js';

const rule = welcomeRule;
const T1 = new Date('2024-04-02T08:00:00.000Z');

const foldOf = (case_id: string, events: readonly DomainEvent[]): CaseState => evolveCase(emptyCase(case_id), events);

/** A CloseCase of the case sent under `key`. */
const closing = (case_id: string, key: string): CaseCommandWithContext => {
  const body = { command_type: 'CloseCase' as const, command_id: `cmd-${key}`, case_id, reason: 'done', closed_by: null };
  return { ...body, key, content_hash: contentOf(body), timestamp: T1 };
};

describe('notificationsToRequeue', () => {
  describe('a client-data message', () => {
    const created = creationCommand(rawKycMessage(), 'msg-1');
    const creation = rightOf(decide(emptyCase(created.case_id), created, found(rule)));
    const notification = creation.find(isEventOf('NotificationRequired'))!;
    const notified = foldOf(created.case_id, creation);

    it("re-queues the notification a redelivered creation finds recorded, at the position its case's stream holds it", () => {
      expect(rightOf(decide(notified, created, found(rule))), 'the redelivery records nothing').to.deep.equal([]);
      expect(notificationsToRequeue(notified, created)).to.deep.equal([
        { event_id: notification.event_id, aggregate_id: created.case_id, version: notification.version },
      ]);
    });

    it('re-queues it at the version it was recorded at after the case moved on', () => {
      const closed = evolveCase(notified, rightOf(decide(notified, closing(created.case_id, 'close-1'), null)));
      expect(closed.version).to.equal(notification.version + 1);
      expect(notificationsToRequeue(closed, created)).to.deep.equal([
        { event_id: notification.event_id, aggregate_id: created.case_id, version: notification.version },
      ]);
    });

    it('re-queues nothing on the first delivery, which records the notification itself', () => {
      expect(notificationsToRequeue(emptyCase(created.case_id), created)).to.deep.equal([]);
    });

    it('re-queues nothing for a redelivered creation whose case recorded no notification', () => {
      const unnotified = foldOf(created.case_id, rightOf(decide(emptyCase(created.case_id), created, null)));
      expect(notificationsToRequeue(unnotified, created)).to.deep.equal([]);
    });

    it('re-queues nothing for another message of a notified case', () => {
      expect(notificationsToRequeue(notified, closing(created.case_id, 'close-1'))).to.deep.equal([]);
    });

    it('re-queues nothing for a message that reuses the creation key for other content (it is refused)', () => {
      const other = creationCommand({ ...rawKycMessage(), client_id: 'someone-else' }, 'msg-1');
      expect(other.case_id).to.equal(created.case_id);
      expect(notificationsToRequeue(notified, other)).to.deep.equal([]);
    });
  });

  describe('a retried rule lookup', () => {
    // A KYB case created while the Configuration Service was down: no notification was recorded.
    const created = creationCommand(rawKybMessage(), 'creation-key');
    const stored = foldOf(created.case_id, rightOf(decide(emptyCase(created.case_id), created, null)));
    const retry = (patch: Partial<RetryNotificationLookup> = {}, key = 'retry-key'): RetryNotificationLookup & CommandContext => {
      const body: RetryNotificationLookup = {
        command_type: 'RetryNotificationLookup',
        command_id: 'retry-1',
        case_id: created.case_id,
        trigger: caseCreatedTrigger(created),
        ...patch,
      };
      return { ...body, key, content_hash: contentOf(body), timestamp: T1 };
    };
    const [notification] = rightOf(decide(stored, retry(), found(rule)));
    const notified = evolveCase(stored, [notification!]);

    it('re-queues the notification a redelivered retry finds the case has already', () => {
      expect(rightOf(decide(notified, retry(), found(rule))), 'the redelivery records nothing').to.deep.equal([]);
      expect(notificationsToRequeue(notified, retry())).to.deep.equal([
        { event_id: notification!.event_id, aggregate_id: created.case_id, version: stored.version + 1 },
      ]);
    });

    it('re-queues nothing on its first delivery, which asks for the rule', () => {
      expect(notificationsToRequeue(stored, retry())).to.deep.equal([]);
    });

    it('re-queues nothing for a case that does not exist or a trigger the case did not raise', () => {
      expect(notificationsToRequeue(emptyCase('nobody'), retry({ case_id: 'nobody' }))).to.deep.equal([]);
      expect(notificationsToRequeue(notified, retry({ trigger: 'CASE_CREATED_KYC_SOMETHING_ELSE' }))).to.deep.equal([]);
    });

    it("re-queues nothing for a retry sent under the creation's message-id with other content (it is refused)", () => {
      expect(notificationsToRequeue(notified, retry({}, 'creation-key'))).to.deep.equal([]);
    });
  });
});
