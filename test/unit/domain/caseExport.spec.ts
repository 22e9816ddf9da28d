import { expect } from 'chai';
import fc from 'fast-check';
import { EMPTY_HISTORY, exportedNotification, historyWith } from '../../../src/domain/caseExport.js';
import type { CaseEvent, NotificationRequired } from '../../../src/domain/events.js';
import { caseSteps, caseStream } from '../../support/caseStreams.js';

const at = (version: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, version));

/** The next event of case c1 at `version`. */
const event = <E extends CaseEvent>(version: number, rest: Pick<E, 'event_type' | 'payload'>): E =>
  ({
    event_id: `e${version}`,
    aggregate_id: 'c1',
    timestamp: at(version),
    version,
    metadata: { correlation_id: `k${version}`, causation_id: `cmd${version}` },
    ...rest,
  }) as E;

const notification = (version: number, provenance?: NotificationRequired['payload']['provenance']): NotificationRequired =>
  event<NotificationRequired>(version, {
    event_type: 'NotificationRequired',
    payload: {
      notification_type: 'EMAIL',
      recipient_details: { case_id: 'c1', client_id: 'client-1', primary_contact_name: '[erased]' },
      template_id: 'WELCOME_V1',
      language_code: 'en',
      context_data: { case_id: 'c1', client_name: '[erased]', case_type: 'STANDARD', traitement_type: 'KYC' },
      ...(provenance === undefined ? {} : { provenance }),
    },
  });

const stream: CaseEvent[] = [
  event(1, {
    event_type: 'CaseCreated',
    payload: { client_id: 'client-1', case_type: 'STANDARD', case_version: '1.0', traitement_type: 'KYC', company_id: null },
  }),
  event(2, { event_type: 'LegalHoldPlaced', payload: { reason: 'investigation 17', placed_by: 'legal-bob' } }),
  event(3, { event_type: 'LegalHoldLifted', payload: { reason: 'investigation closed', lifted_by: 'legal-carol' } }),
  event(4, {
    event_type: 'PersonalDataErased',
    payload: {
      subject: { kind: 'person', id: 'p1' },
      reason: 'GDPR art. 17 #4711',
      requested_by: 'dpo-alice',
      fields: ['firstname', 'lastname', 'birthdate'],
    },
  }),
  notification(5),
  event(6, { event_type: 'CaseClosed', payload: { reason: 'complete', closed_by: 'agent-dan' } }),
];

describe('the history an evidence export sums up', () => {
  it('lists each legal hold placed and lifted with who, when and why, and the event that records it', () => {
    expect(historyWith(EMPTY_HISTORY, stream).legal_holds).to.deep.equal([
      { action: 'placed', at: at(2), by: 'legal-bob', reason: 'investigation 17', event_id: 'e2', version: 2 },
      { action: 'lifted', at: at(3), by: 'legal-carol', reason: 'investigation closed', event_id: 'e3', version: 3 },
    ]);
  });

  it('lists each erasure with whose data went, which fields, who asked, when and why, never the data', () => {
    expect(historyWith(EMPTY_HISTORY, stream).erasures).to.deep.equal([
      {
        at: at(4),
        by: 'dpo-alice',
        reason: 'GDPR art. 17 #4711',
        event_id: 'e4',
        version: 4,
        subject: { kind: 'person', id: 'p1' },
        fields: ['firstname', 'lastname', 'birthdate'],
      },
    ]);
  });

  it("records the case's closing, and none while the case is open", () => {
    expect(historyWith(EMPTY_HISTORY, stream).closure).to.deep.equal({
      at: at(6),
      by: 'agent-dan',
      reason: 'complete',
      event_id: 'e6',
      version: 6,
    });
    expect(historyWith(EMPTY_HISTORY, stream.slice(0, 5)).closure).to.equal(null);
  });

  it('keeps the notifications in version order', () => {
    const later = notification(7);
    expect(historyWith(EMPTY_HISTORY, [...stream, later]).notifications).to.deep.equal([stream[4], later]);
  });

  it('sums up a stream added a page at a time as it does the whole stream at once, and changes nothing it was given', () => {
    fc.assert(
      fc.property(caseSteps(40), fc.integer({ min: 1, max: 10 }), (steps, pageSize) => {
        const events = caseStream('c1', steps);
        let paged = EMPTY_HISTORY;
        const seen: unknown[] = [];
        for (let i = 0; i < events.length; i += pageSize) {
          seen.push(paged);
          paged = historyWith(paged, events.slice(i, i + pageSize));
        }
        const frozen = JSON.stringify(seen);
        expect(paged).to.deep.equal(historyWith(EMPTY_HISTORY, events));
        expect(JSON.stringify(seen)).to.equal(frozen);
      }),
    );
  });

  it("shows a notification's provenance, null when it was recorded before casestream kept provenance, and whether Kafka acknowledged it", () => {
    const provenance = {
      trigger: 'CASE_CREATED_KYC_STANDARD',
      rule_id: 'WELCOME',
      rule_version: 3,
      source: 'fresh',
      answer_source: 'fresh',
      fetched_at: '2026-01-01T00:00:00.000Z',
    } as const;
    const kept = exportedNotification(notification(5, provenance), true);
    expect(kept.payload.provenance).to.deep.equal(provenance);
    expect(kept.published).to.equal(true);
    expect(kept).to.include({ event_id: 'e5', event_type: 'NotificationRequired', aggregate_id: 'c1', version: 5 });
    const old = exportedNotification(notification(5), false);
    expect(old.payload.provenance).to.equal(null);
    expect(old.published).to.equal(false);
  });
});
