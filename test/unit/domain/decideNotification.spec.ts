import { expect } from 'chai';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { caseCreatedTrigger, decideNotification, notificationSubjectOf, ruleContext } from '../../../src/domain/decideNotification.js';
import type { NotificationRule } from '../../../src/domain/notificationRule.js';
import { creationCommand, FETCHED_AT, found, rawKybMessage, rawKycMessage, T0 } from './fixtures.js';

const rule: NotificationRule = {
  rule_id: 'r-1',
  is_active: true,
  notification_type: 'EMAIL_WELCOME',
  template_id: 'tpl-welcome',
  language_code: 'fr',
};

describe('caseCreatedTrigger', () => {
  it('names a KYB "kyb-standard" case CASE_CREATED_KYB_KYB_STANDARD', () => {
    expect(caseCreatedTrigger(creationCommand({ ...rawKybMessage(), type: 'kyb-standard' }))).to.equal('CASE_CREATED_KYB_KYB_STANDARD');
  });

  it('names a KYC STANDARD_DUE_DILIGENCE case CASE_CREATED_KYC_STANDARD_DUE_DILIGENCE', () => {
    expect(caseCreatedTrigger(creationCommand(rawKycMessage()))).to.equal('CASE_CREATED_KYC_STANDARD_DUE_DILIGENCE');
  });

  it('upper-cases the case type and the traitement type whatever case they were sent in', () => {
    expect(caseCreatedTrigger(creationCommand({ ...rawKycMessage(), traitement_type: 'kyc', type: 'Enhanced-Due-Diligence' }))).to.equal(
      'CASE_CREATED_KYC_ENHANCED_DUE_DILIGENCE',
    );
  });

  it('replaces every dash, not just the first', () => {
    expect(caseCreatedTrigger(creationCommand({ ...rawKycMessage(), type: 'a-b-c--d' }))).to.equal('CASE_CREATED_KYC_A_B_C__D');
  });
});

describe('ruleContext', () => {
  it('tells the configuration service the case, client, traitement type and case type', () => {
    const cmd = creationCommand(rawKybMessage());
    expect(ruleContext(cmd)).to.deep.equal({
      case_id: cmd.case_id,
      client_id: 'client-7',
      traitement_type: 'KYB',
      case_type: 'kyb-standard',
    });
  });
});

describe('decideNotification', () => {
  const cmd = creationCommand(rawKybMessage(), 'key-N');
  const creation = decideCaseCreation(cmd);
  const state = evolveCase(emptyCase(cmd.case_id), creation);
  const event = decideNotification(cmd, found(rule), state.version);

  it('records a NotificationRequired on the case stream right after the given version', () => {
    expect(event.event_type).to.equal('NotificationRequired');
    expect(event.aggregate_id).to.equal(cmd.case_id);
    expect(event.version).to.equal(state.version + 1);
    expect(decideNotification(cmd, found(rule), 0).version).to.equal(1);
  });

  it("addresses the case's client with the first person's full name as primary contact", () => {
    expect(event.payload.recipient_details).to.deep.equal({
      case_id: cmd.case_id,
      client_id: 'client-7',
      primary_contact_name: 'Grace Hopper',
    });
  });

  it("gives the template the case, the first person's firstname as client name, the case type and traitement type", () => {
    expect(event.payload.context_data).to.deep.equal({
      case_id: cmd.case_id,
      client_name: 'Grace',
      case_type: 'kyb-standard',
      traitement_type: 'KYB',
    });
  });

  it('takes the notification type, template and language from the rule', () => {
    expect(event.payload).to.deep.include({
      notification_type: 'EMAIL_WELCOME',
      template_id: 'tpl-welcome',
      language_code: 'fr',
    });
  });

  it("passes a rule's null template and language through as null", () => {
    const e = decideNotification(cmd, found({ ...rule, template_id: null, language_code: null }), 3);
    expect(e.payload).to.deep.include({ template_id: null, language_code: null });
  });

  it('leaves out the primary contact and calls the client "N/A" when the case has no person', () => {
    const none = creationCommand({ ...rawKycMessage(), persons: [] });
    const e = decideNotification(none, found(rule), 1);
    expect(e.payload.recipient_details).to.deep.equal({ case_id: none.case_id, client_id: 'client-42' });
    expect(e.payload.recipient_details).to.not.have.property('primary_contact_name');
    expect(e.payload.context_data.client_name).to.equal('N/A');
  });

  it("stamps the event with the command's timestamp and metadata", () => {
    expect(event.timestamp.getTime()).to.equal(T0.getTime());
    expect(event.metadata).to.deep.equal({ correlation_id: 'key-N', causation_id: cmd.command_id, content_hash: cmd.content_hash });
  });

  it('keeps the same event id whatever version it is appended after', () => {
    expect(decideNotification(cmd, found(rule), 0).event_id).to.equal(event.event_id);
    expect(decideNotification(cmd, found(rule), 999).event_id).to.equal(event.event_id);
  });

  it('keeps the same event id whichever rule asked for it', () => {
    expect(decideNotification(cmd, found({ ...rule, rule_id: 'r-2', notification_type: 'SMS' }), 5).event_id).to.equal(event.event_id);
  });

  it('decides a deep-equal event when decided twice', () => {
    expect(decideNotification(cmd, found(rule), state.version)).to.deep.equal(event);
  });

  it('records why it was sent: the trigger, the rule id, no version when the rule has none, and a fresh answer with its time', () => {
    expect(event.payload.provenance).to.deep.equal({
      trigger: 'CASE_CREATED_KYB_KYB_STANDARD',
      rule_id: 'r-1',
      rule_version: null,
      source: 'fresh',
      answer_source: 'fresh',
      fetched_at: FETCHED_AT,
    });
  });

  it('records a cached answer as cache and an expired one served during an outage as stale, with when each was fetched', () => {
    const cached = decideNotification(cmd, found(rule, 'cache', '2024-03-01T09:58:00.000Z'), state.version).payload.provenance;
    expect(cached).to.deep.include({ source: 'cache', answer_source: 'cache', fetched_at: '2024-03-01T09:58:00.000Z' });
    const stale = decideNotification(cmd, found(rule, 'stale', '2024-02-29T22:00:00.000Z'), state.version).payload.provenance;
    expect(stale).to.deep.include({ source: 'stale', answer_source: 'stale', fetched_at: '2024-02-29T22:00:00.000Z' });
  });

  it("records the rule's version as the service gave it, string or number", () => {
    expect(decideNotification(cmd, found({ ...rule, version: 7 }), 0).payload.provenance?.rule_version).to.equal(7);
    expect(decideNotification(cmd, found({ ...rule, version: '2024-03' }), 0).payload.provenance?.rule_version).to.equal('2024-03');
  });

  it('keeps the same event id wherever the answer came from', () => {
    for (const source of ['cache', 'stale'] as const) {
      expect(decideNotification(cmd, found(rule, source), state.version).event_id).to.equal(event.event_id);
    }
  });

  it('has an id distinct from every case-creation event id', () => {
    expect(creation.map((e) => e.event_id)).to.not.include(event.event_id);
  });

  it('has a different id under a different idempotency key', () => {
    const other = creationCommand(rawKybMessage(), 'key-M');
    expect(decideNotification(other, found(rule), state.version).event_id).to.not.equal(event.event_id);
  });
});

describe('notificationSubjectOf', () => {
  it('knows a stored case as its creation did: the creating key, the facts and the first person', () => {
    const cmd = creationCommand(rawKybMessage(), 'history-key');
    const state = evolveCase(emptyCase(cmd.case_id), decideCaseCreation(cmd));
    expect(notificationSubjectOf(state)).to.deep.equal({
      creation_key: 'history-key',
      case_id: cmd.case_id,
      client_id: 'client-7',
      case_type: 'kyb-standard',
      traitement_type: 'KYB',
      first_person: { firstname: 'Grace', lastname: 'Hopper' },
    });
    expect(caseCreatedTrigger(notificationSubjectOf(state)!)).to.equal(caseCreatedTrigger(cmd));
    expect(ruleContext(notificationSubjectOf(state)!)).to.deep.equal(ruleContext(cmd));
  });

  it('finds no subject in a case that does not exist', () => {
    expect(notificationSubjectOf(emptyCase('nobody'))).to.equal(null);
  });
});
