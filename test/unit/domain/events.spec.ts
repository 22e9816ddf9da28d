import { expect } from 'chai';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { isEventOf, toWireJson, type DomainEvent } from '../../../src/domain/events.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import { creationCommand, found, rawKybMessage, T0 } from './fixtures.js';

const events = decideCaseCreation(creationCommand(rawKybMessage()));
const caseCreated = events.find((e) => e.event_type === 'CaseCreated')!;

describe('toWireJson', () => {
  it('writes the envelope fields in the documented order', () => {
    const wire = JSON.parse(toWireJson(caseCreated)) as Record<string, unknown>;
    expect(Object.keys(wire)).to.deep.equal(['event_id', 'event_type', 'aggregate_id', 'timestamp', 'version', 'payload', 'metadata']);
  });

  it('writes the timestamp as an ISO-8601 UTC string with milliseconds', () => {
    const wire = JSON.parse(toWireJson(caseCreated)) as { timestamp: string };
    expect(wire.timestamp).to.equal('2024-03-01T10:15:30.123Z');
    expect(new Date(wire.timestamp).getTime()).to.equal(T0.getTime());
  });

  it('carries every envelope value, payload and metadata unchanged', () => {
    for (const e of events) {
      const wire = JSON.parse(toWireJson(e)) as Record<string, unknown>;
      expect(wire).to.deep.equal({ ...e, timestamp: e.timestamp.toISOString() });
    }
  });

  it('writes no field that is not part of the envelope', () => {
    const withExtra = { ...caseCreated, internal: 'secret' } as DomainEvent;
    expect(JSON.parse(toWireJson(withExtra))).to.not.have.property('internal');
  });

  it("carries a notification's provenance in its payload, rule version and all", () => {
    const cmd = creationCommand(rawKybMessage());
    const rule = { rule_id: 'r-1', is_active: true, notification_type: 'EMAIL', template_id: null, language_code: null, version: 'v3' };
    const notification = decideNotification(cmd, found(rule, 'stale'), 9);
    const wire = JSON.parse(toWireJson(notification)) as { payload: Record<string, unknown> };
    expect(wire.payload.provenance).to.deep.equal(notification.payload.provenance);
    expect(wire.payload.provenance).to.deep.include({ rule_version: 'v3', source: 'stale' });
  });

  it('writes a null company id as JSON null rather than dropping it', () => {
    const kyc: DomainEvent = { ...caseCreated, payload: { ...caseCreated.payload, company_id: null } } as DomainEvent;
    expect(toWireJson(kyc)).to.include('"company_id":null');
  });
});

describe('isEventOf', () => {
  it('picks out the events of one type', () => {
    const added = events.filter(isEventOf('PersonAddedToCase'));
    expect(added).to.have.length(3);
    expect(added.map((e) => e.payload.firstname)).to.deep.equal(['Grace', 'Alan', 'Edsger']);
  });

  it('matches nothing for a type that was not recorded', () => {
    expect(events.filter(isEventOf('DocumentStatusUpdated'))).to.deep.equal([]);
  });
});
