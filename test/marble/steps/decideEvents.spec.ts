import { expect } from 'chai';
import { of } from 'rxjs';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import type { NotificationRequired } from '../../../src/domain/events.js';
import type { CaseWork } from '../../../src/streams/steps/caseWork.js';
import { decideEvents } from '../../../src/streams/steps/decideEvents.js';
import type { RuleAnswer } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { activeRule, ruleAnswer, syncValue, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

const decide = (w: CaseWork): CaseWork => syncValue(of(w).pipe(asOperator(decideEvents())));

const creation = (rule: RuleAnswer | null = null, message: unknown = kycMessage('client-1')) => ({
  ...workOf(recordOf(message, { offset: 0 }), null),
  rule,
});

const commandRecord = (body: Record<string, unknown>, offset = 1) => recordOf(body, { topic: COMMAND_TOPIC, offset });

describe('decideEvents', () => {
  it("decides the creation of a new KYC case: the case, its person and the person's documents, in version order", () => {
    const w = decide(creation());
    const caseId = w.command!.case_id;
    expect(w.rejection).to.equal(null);
    expect(w.events.map((e) => [e.event_type, e.aggregate_id, e.version])).to.deep.equal([
      ['CaseCreated', caseId, 1],
      ['PersonAddedToCase', caseId, 2],
      ['DocumentRequirementDetermined', caseId, 3],
      ['DocumentRequirementDetermined', caseId, 4],
    ]);
    expect(w.events.every((e) => e.timestamp.getTime() === 1767225600000)).to.equal(true);
  });

  it('decides on an empty case when the state is unknown, and leaves that state on the work', () => {
    const w = decide(creation());
    expect(w.state).to.deep.equal(emptyCase(w.command!.case_id));
  });

  it('decides the company stream too for a KYB case', () => {
    const w = decide(creation(null, kybMessage('client-2')));
    const types = w.events.map((e) => e.event_type);
    expect(types).to.include.members(['CompanyProfileCreated', 'PersonLinkedToCompany', 'BeneficialOwnerAdded', 'CaseCreated']);
  });

  it("adds a notification after the case's last event when an active rule applies", () => {
    const w = decide(creation(ruleAnswer));
    const last = w.events[w.events.length - 1] as NotificationRequired;
    expect(w.events).to.have.length(5);
    expect(last.event_type).to.equal('NotificationRequired');
    expect(last.version).to.equal(5);
    expect(last.payload.notification_type).to.equal(activeRule.notification_type);
    expect(last.payload.template_id).to.equal('tpl-welcome');
    expect(last.payload.recipient_details).to.deep.equal({
      case_id: w.command!.case_id,
      client_id: 'client-1',
      primary_contact_name: 'First0 Last0',
    });
  });

  it('records in the notification the trigger, the rule and where the answer came from (here a stale Redis entry)', () => {
    const stale: RuleAnswer = { kind: 'rule', rule: activeRule, source: 'stale', layer: 'redis', fetched_at: '2025-12-31T08:00:00.000Z' };
    const last = decide(creation(stale)).events.at(-1) as NotificationRequired;
    expect(last.payload.provenance).to.deep.equal({
      trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD',
      rule_id: 'rule-welcome',
      rule_version: null,
      source: 'stale',
      answer_source: 'stale',
      fetched_at: '2025-12-31T08:00:00.000Z',
    });
  });

  it('adds no notification when there is no rule, or the rule service could not answer', () => {
    for (const rule of [null, { kind: 'no-rule' }, { kind: 'unavailable', reason: 'timeout' }] as (RuleAnswer | null)[]) {
      const w = decide(creation(rule));
      expect(
        w.events.map((e) => e.event_type),
        JSON.stringify(rule),
      ).not.to.include('NotificationRequired');
      expect(w.events).to.have.length(4);
    }
  });

  it('decides the same events for the same message every time, so a redelivery is recognised', () => {
    expect(decide(creation(ruleAnswer)).events).to.deep.equal(decide(creation(ruleAnswer)).events);
  });

  it('decides nothing new for a redelivered creation whose case is already stored with its notification', () => {
    const stored = decide(creation(ruleAnswer)).events;
    const state = evolveCase(emptyCase(stored[0]!.aggregate_id), stored);
    const w = decide({ ...creation(ruleAnswer), state });
    expect(w.events).to.deep.equal([]);
    expect(w.rejection).to.equal(null);
  });

  it('carries the stored notification a redelivered creation re-queues when its case had to be loaded, whatever the rule answers now; none on a first delivery', () => {
    const stored = decide(creation(ruleAnswer)).events;
    const notification = stored.at(-1)!;
    const state = evolveCase(emptyCase(notification.aggregate_id), stored);
    for (const rule of [ruleAnswer, { kind: 'no-rule' }, { kind: 'unavailable', reason: 'timeout' }] as RuleAnswer[]) {
      expect(decide({ ...creation(rule), state, loaded: true }).requeue, JSON.stringify(rule)).to.deep.equal([
        { event_id: notification.event_id, aggregate_id: notification.aggregate_id, version: 5 },
      ]);
    }
    expect(decide(creation(ruleAnswer)).requeue).to.deep.equal([]);
  });

  it('re-queues nothing for a redelivered creation whose actor remembers the case (a producer retry): its notification is not sent again', () => {
    const stored = decide(creation(ruleAnswer)).events;
    const state = evolveCase(emptyCase(stored[0]!.aggregate_id), stored);
    const w = decide({ ...creation(ruleAnswer), state });
    expect(w.requeue).to.deep.equal([]);
    expect(w.events).to.deep.equal([]);
  });

  it('decides only the missing notification for a stored case whose rule was unavailable at first', () => {
    const stored = decide(creation({ kind: 'unavailable', reason: 'timeout' })).events;
    const state = evolveCase(emptyCase(stored[0]!.aggregate_id), stored);
    const w = decide({ ...creation(ruleAnswer), state });
    expect(w.events.map((e) => [e.event_type, e.version])).to.deep.equal([['NotificationRequired', 5]]);
  });

  it('rejects a command for a case that does not exist, with no events', () => {
    const w = decide(
      workOf(
        commandRecord({
          command_type: 'DetermineDocumentRequirements',
          command_id: 'c',
          case_id: 'case-404',
          entity_id: 'p',
          entity_type: 'PERSON',
        }),
      ),
    );
    expect(w.events).to.deep.equal([]);
    expect(w.rejection).to.deep.equal({
      reason: 'unknown case case-404',
      details: [{ path: '$.case_id', rule: 'must name an existing case' }],
    });
  });

  it('rejects a status update for a document the case does not have', () => {
    const created = decide(creation());
    const state = evolveCase(emptyCase(created.command!.case_id), created.events);
    const w = decide(
      workOf(
        commandRecord({
          command_type: 'UpdateDocumentStatus',
          command_id: 'c',
          case_id: created.command!.case_id,
          document_requirement_id: 'doc-missing',
          new_status: 'UPLOADED',
          updated_by_actor_type: null,
          updated_by_actor_id: null,
        }),
        state,
      ),
    );
    expect(w.events).to.deep.equal([]);
    expect(w.rejection?.reason).to.equal(`unknown document requirement doc-missing in case ${created.command!.case_id}`);
  });

  it('decides a status update on a known document from the state it is given', () => {
    const created = decide(creation());
    const state = evolveCase(emptyCase(created.command!.case_id), created.events);
    const doc = [...state.documents.values()][0]!;
    const w = decide(
      workOf(
        commandRecord({
          command_type: 'UpdateDocumentStatus',
          command_id: 'c',
          case_id: state.case_id,
          document_requirement_id: doc.id,
          new_status: 'UPLOADED',
          updated_by_actor_type: 'USER',
          updated_by_actor_id: 'u-1',
        }),
        state,
      ),
    );
    expect(w.rejection).to.equal(null);
    expect(w.events.map((e) => [e.event_type, e.version])).to.deep.equal([['DocumentStatusUpdated', 5]]);
  });

  it('passes a message rejected at decoding untouched', () => {
    const rejected = workOf(recordOf('[]', { offset: 0 }));
    expect(decide(rejected)).to.equal(rejected);
  });

  it('decides each work as it arrives, keeping order and timing', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const a = creation();
      const b = workOf(recordOf('not json', { offset: 1 }));
      const out = cold('a--b|', { a, b }).pipe(asOperator(decideEvents()));
      expectObservable(out).toBe('a--b|', { a: decide(a), b });
    });
  });
});
