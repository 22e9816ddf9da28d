import { expect } from 'chai';
import type { RetryNotificationLookup } from '../../../src/domain/caseCommand.js';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import type { CommandContext } from '../../../src/domain/commands.js';
import { decide } from '../../../src/domain/decide.js';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import {
  caseCreatedTrigger,
  decideNotification,
  decideNotificationRetry,
  notificationRetry,
} from '../../../src/domain/decideNotification.js';
import { KEY_REUSED_REASON } from '../../../src/domain/keyReuse.js';
import { contentOf, creationCommand, FETCHED_AT, found, leftOf, rawKybMessage, rightOf, welcomeRule } from './fixtures.js';

const rule = welcomeRule;
const RETRIED_AT = new Date('2024-05-01T09:00:00.000Z');

// A KYB case created while the Configuration Service was down: no notification was recorded.
const created = creationCommand(rawKybMessage(), 'creation-key');
const stored = evolveCase(emptyCase(created.case_id), decideCaseCreation(created));
const trigger = caseCreatedTrigger(created);

/** A RetryNotificationLookup as the pipeline decodes it, sent under `key`. */
const retry = (patch: Partial<RetryNotificationLookup> = {}, key = 'retry-key'): RetryNotificationLookup & CommandContext => {
  const body: RetryNotificationLookup = {
    command_type: 'RetryNotificationLookup',
    command_id: 'retry-1',
    case_id: created.case_id,
    trigger,
    ...patch,
  };
  return { ...body, key, content_hash: contentOf(body), timestamp: RETRIED_AT };
};

describe('notificationRetry', () => {
  it('asks for the rule when the case exists, raised that trigger and has no notification yet', () => {
    expect(notificationRetry(stored, retry()).kind).to.equal('ask');
  });

  it('has nothing to ask about a case that does not exist, a trigger the case did not raise, or a case notified already', () => {
    const notified = evolveCase(stored, [decideNotification(created, found(rule), stored.version)]);
    expect(notificationRetry(emptyCase('nobody'), retry()).kind).to.equal('unknown-case');
    expect(notificationRetry(stored, retry({ trigger: 'CASE_CREATED_KYC_SOMETHING_ELSE' })).kind).to.equal('other-trigger');
    expect(notificationRetry(notified, retry()).kind).to.equal('already-notified');
  });
});

describe('decideNotificationRetry', () => {
  const [notification] = rightOf(decideNotificationRetry(stored, retry(), found(rule)));
  const atCreation = decideNotification(created, found(rule), stored.version);

  it('records, once a rule matches, the notification the creation would have recorded: same id, same payload but its provenance', () => {
    const { provenance: _retried, ...payload } = notification!.payload;
    const { provenance: _atCreation, ...creationPayload } = atCreation.payload;
    expect(notification!.event_id).to.equal(atCreation.event_id);
    expect(payload).to.deep.equal(creationPayload);
    expect(notification!.payload.recipient_details.primary_contact_name).to.equal('Grace Hopper');
  });

  it('records the retry as the source of its provenance, and where the retry found the rule as the answer source', () => {
    expect(notification!.payload.provenance).to.deep.equal({
      trigger,
      rule_id: 'r-1',
      rule_version: null,
      source: 'retry',
      answer_source: 'fresh',
      fetched_at: FETCHED_AT,
    });
    const [fromCache] = rightOf(decideNotificationRetry(stored, retry(), found({ ...rule, version: 3 }, 'cache')));
    expect(fromCache!.payload.provenance).to.deep.include({ source: 'retry', answer_source: 'cache', rule_version: 3 });
    const [fromStale] = rightOf(decideNotificationRetry(stored, retry(), found(rule, 'stale')));
    expect(fromStale!.payload.provenance).to.deep.include({ source: 'retry', answer_source: 'stale' });
  });

  it("appends it right after the case's last version", () => {
    expect(notification!.aggregate_id).to.equal(created.case_id);
    expect(notification!.version).to.equal(stored.version + 1);
  });

  it("names the retry command as its cause and the retry as its time, keeping the creation's key and content hash", () => {
    expect(notification!.timestamp.getTime()).to.equal(RETRIED_AT.getTime());
    expect(notification!.metadata).to.deep.equal({
      correlation_id: 'creation-key',
      causation_id: 'retry-1',
      content_hash: created.content_hash,
    });
  });

  it('records nothing when the case has the notification already, however it got it', () => {
    const afterRetry = evolveCase(stored, [notification!]);
    expect(rightOf(decideNotificationRetry(afterRetry, retry({ command_id: 'retry-2' }), found(rule)))).to.deep.equal([]);
    const notifiedAtCreation = evolveCase(stored, [atCreation]);
    expect(rightOf(decideNotificationRetry(notifiedAtCreation, retry(), found(rule)))).to.deep.equal([]);
  });

  it('records nothing when still no rule matches', () => {
    expect(rightOf(decideNotificationRetry(stored, retry(), null))).to.deep.equal([]);
  });

  it('records nothing for a trigger the case did not raise, whatever rule it has', () => {
    expect(rightOf(decideNotificationRetry(stored, retry({ trigger: 'CASE_CREATED_KYC_SOMETHING_ELSE' }), found(rule)))).to.deep.equal([]);
  });

  it('refuses a retry for a case that does not exist, naming $.case_id', () => {
    const why = leftOf(decideNotificationRetry(emptyCase('nobody'), retry({ case_id: 'nobody' }), found(rule)));
    expect(why.reason).to.equal('unknown case nobody');
    expect(why.details).to.deep.equal([{ path: '$.case_id', rule: 'must name an existing case' }]);
  });
});

describe('decide, for a retried rule lookup', () => {
  it('decides the missing notification like the retry decision does', () => {
    expect(rightOf(decide(stored, retry(), found(rule)))).to.deep.equal(rightOf(decideNotificationRetry(stored, retry(), found(rule))));
  });

  it('records nothing when the same retry message comes again after it notified', () => {
    const afterRetry = evolveCase(stored, rightOf(decide(stored, retry(), found(rule))));
    expect(rightOf(decide(afterRetry, retry(), found(rule)))).to.deep.equal([]);
  });

  it('lets a creation delivered again after the retry find its notification recorded, not decide a second one', () => {
    const afterRetry = evolveCase(stored, rightOf(decide(stored, retry(), found(rule))));
    expect(rightOf(decide(afterRetry, created, found(rule)))).to.deep.equal([]);
  });

  it("refuses a retry sent under the creation's message-id with other content", () => {
    expect(leftOf(decide(stored, retry({}, 'creation-key'), found(rule))).reason).to.equal(KEY_REUSED_REASON);
  });
});
