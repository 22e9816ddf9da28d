import { expect } from 'chai';
import type { RetryNotificationLookup } from '../../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { CaseCommandWithContext, CommandContext } from '../../../src/domain/commands.js';
import { decide } from '../../../src/domain/decide.js';
import { caseCreatedTrigger } from '../../../src/domain/decideNotification.js';
import { isEventOf, type DomainEvent } from '../../../src/domain/events.js';
import { notificationsToRequeue } from '../../../src/domain/notificationRequeue.js';
import { recordedRanges } from '../../../src/domain/redelivery.js';
import { contentOf, creationCommand, found, rawKybMessage, rawKycMessage, rightOf, welcomeRule } from './fixtures.js';

const T1 = new Date('2024-04-02T08:00:00.000Z');

const foldOf = (case_id: string, events: readonly DomainEvent[]): CaseState => evolveCase(emptyCase(case_id), events);

/** A CloseCase of the case sent under `key`, `reason` making its content. */
const closing = (case_id: string, key: string, reason = 'done'): CaseCommandWithContext => {
  const body = { command_type: 'CloseCase' as const, command_id: `cmd-${key}`, case_id, reason, closed_by: null };
  return { ...body, key, content_hash: contentOf(body), timestamp: T1 };
};

/** What a redelivery of `cmd` re-applies from the stored events of the case in `state`. */
const healed = (state: CaseState, cmd: Parameters<typeof recordedRanges>[1]) => ({
  reproject: recordedRanges(state, cmd),
  requeue: notificationsToRequeue(state, cmd),
});

describe('what a redelivered message re-applies from its stored events (recordedRanges, notificationsToRequeue)', () => {
  describe('a case command', () => {
    const created = creationCommand(rawKycMessage(), 'creation');
    const stored = foldOf(created.case_id, rightOf(decide(emptyCase(created.case_id), created, found(welcomeRule))));
    const close = closing(created.case_id, 'close-1');
    const closed = evolveCase(stored, rightOf(decide(stored, close, null)));

    it('re-applies nothing on its first delivery: what it decides is projected as it is stored', () => {
      expect(healed(stored, close)).to.deep.equal({ reproject: [], requeue: [] });
    });

    it('re-projects, when delivered again, the versions its first delivery took on the case stream, and no notification', () => {
      expect(rightOf(decide(closed, close, null)), 'the redelivery records nothing').to.deep.equal([]);
      expect(healed(closed, close)).to.deep.equal({
        reproject: [{ aggregate_id: created.case_id, first: stored.version + 1, last: stored.version + 1 }],
        requeue: [],
      });
    });

    it('still re-projects its own versions once the case has moved on', () => {
      const later = evolveCase(closed, rightOf(decide(closed, closing(created.case_id, 'erase-like', 'again'), null)));
      expect(recordedRanges(later, close)).to.deep.equal([
        { aggregate_id: created.case_id, first: stored.version + 1, last: stored.version + 1 },
      ]);
    });

    it('re-applies nothing for a message that reuses a recorded key for other content (it is refused)', () => {
      expect(healed(closed, closing(created.case_id, 'close-1', 'other reason'))).to.deep.equal({ reproject: [], requeue: [] });
    });
  });

  describe('a creation', () => {
    const created = creationCommand(rawKybMessage(), 'kyb-creation');
    const creation = rightOf(decide(emptyCase(created.case_id), created, found(welcomeRule)));
    const notification = creation.find(isEventOf('NotificationRequired'))!;
    const company_id = creation.find(isEventOf('CompanyProfileCreated'))!.aggregate_id;
    const remembered = foldOf(created.case_id, creation);

    it('re-applies nothing on its first delivery, decided on an empty case', () => {
      expect(healed(emptyCase(created.case_id), created)).to.deep.equal({ reproject: [], requeue: [] });
    });

    it('re-projects, when the case is remembered or loaded, its versions of the case stream and the whole company stream, and re-queues its notification', () => {
      expect(rightOf(decide(remembered, created, found(welcomeRule))), 'the redelivery records nothing').to.deep.equal([]);
      expect(healed(remembered, created)).to.deep.equal({
        reproject: [
          { aggregate_id: created.case_id, first: 1, last: notification.version },
          { aggregate_id: company_id, first: 1, last: null },
        ],
        requeue: [{ event_id: notification.event_id, aggregate_id: created.case_id, version: notification.version }],
      });
    });

    it('re-projects only the case stream for a KYC case, which has no company', () => {
      const kyc = creationCommand(rawKycMessage(), 'kyc-creation');
      const state = foldOf(kyc.case_id, rightOf(decide(emptyCase(kyc.case_id), kyc, null)));
      expect(healed(state, kyc)).to.deep.equal({ reproject: [{ aggregate_id: kyc.case_id, first: 1, last: state.version }], requeue: [] });
    });
  });

  describe('a retried rule lookup of a case notified already', () => {
    // Created while the Configuration Service was down, then a close, then the retry that notified.
    const created = creationCommand(rawKybMessage(), 'creation-key');
    const stored = foldOf(created.case_id, rightOf(decide(emptyCase(created.case_id), created, null)));
    const closed = evolveCase(stored, rightOf(decide(stored, closing(created.case_id, 'close-1'), null)));
    const body: RetryNotificationLookup = {
      command_type: 'RetryNotificationLookup',
      command_id: 'retry-1',
      case_id: created.case_id,
      trigger: caseCreatedTrigger(created),
    };
    const retry: RetryNotificationLookup & CommandContext = { ...body, key: 'retry-key', content_hash: contentOf(body), timestamp: T1 };
    const [notification] = rightOf(decide(closed, retry, found(welcomeRule)));
    const notified = evolveCase(closed, [notification!]);
    const at = { event_id: notification!.event_id, aggregate_id: created.case_id, version: closed.version + 1 };

    it("re-queues the notification at the version it took, re-projecting nothing: the retry's key is not what the notification records", () => {
      expect(healed(notified, retry)).to.deep.equal({ reproject: [], requeue: [at] });
    });

    it('re-queues it at that version, not after the creation, when the creation is delivered again', () => {
      expect(healed(notified, created)).to.deep.equal({
        reproject: [
          { aggregate_id: created.case_id, first: 1, last: stored.version },
          { aggregate_id: stored.facts!.company_id!, first: 1, last: null },
        ],
        requeue: [at],
      });
    });
  });
});
