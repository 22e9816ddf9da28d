import { expect } from 'chai';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import type { CaseEvent, DocumentStatusUpdated } from '../../../src/domain/events.js';
import { creationCommand, found, rawKybMessage, rawKycMessage, T0 } from './fixtures.js';

const kycCmd = creationCommand(rawKycMessage());
const kybCmd = creationCommand(rawKybMessage());
const kycEvents = decideCaseCreation(kycCmd);
const kybEvents = decideCaseCreation(kybCmd);
const kycState = evolveCase(emptyCase(kycCmd.case_id), kycEvents);
const kybState = evolveCase(emptyCase(kybCmd.case_id), kybEvents);
const activeRule = { rule_id: 'r-1', is_active: true, notification_type: 'EMAIL_WELCOME', template_id: 'tpl-welcome', language_code: 'fr' };

const statusUpdate = (
  case_id: string,
  version: number,
  document_requirement_id: string,
  new_status: DocumentStatusUpdated['payload']['new_status'],
): DocumentStatusUpdated => ({
  event_id: `evt-${version}`,
  event_type: 'DocumentStatusUpdated',
  aggregate_id: case_id,
  timestamp: T0,
  version,
  payload: {
    document_requirement_id,
    new_status,
    old_status: 'AWAITING_UPLOAD',
    updated_by: 'SYSTEM',
    metadata_update: {},
    notes_added: [],
  },
  metadata: { correlation_id: 'k', causation_id: 'c' },
});

describe('emptyCase', () => {
  it('is a case that does not exist yet: version 0, no facts, no persons, documents or events', () => {
    const s = emptyCase('case-1');
    expect(s.case_id).to.equal('case-1');
    expect(s.version).to.equal(0);
    expect(s.facts).to.equal(null);
    expect(s.personIds.size).to.equal(0);
    expect(s.documents.size).to.equal(0);
    expect(s.notificationVersions.size).to.equal(0);
    expect(s.recordedKeys.size).to.equal(0);
  });
});

describe('evolveCase', () => {
  it('remembers the content hash each message key of the case stands for, and an unknown one for events stored without', () => {
    expect([...kycState.recordedKeys]).to.deep.equal([[kycCmd.key, { hash: kycCmd.content_hash, first: 1, last: kycState.version }]]);
    const legacy = statusUpdate(kycCmd.case_id, kycState.version + 1, 'doc', 'UPLOADED');
    expect(evolveCase(kycState, [legacy]).recordedKeys.get('k')).to.deep.equal({
      hash: undefined,
      first: kycState.version + 1,
      last: kycState.version + 1,
    });
  });

  it("remembers the versions each message's events took on the case stream, whether folded at once or append by append", () => {
    const v = kycState.version;
    const [docId] = [...kycState.documents.keys()];
    const update = (version: number, key: string) => ({
      ...statusUpdate(kycCmd.case_id, version, docId!, 'UPLOADED'),
      metadata: { correlation_id: key, causation_id: key },
    });
    const later = [update(v + 1, 'upload'), update(v + 2, 'review'), update(v + 3, 'review')];
    const expected = [
      [kycCmd.key, { hash: kycCmd.content_hash, first: 1, last: v }],
      ['upload', { hash: undefined, first: v + 1, last: v + 1 }],
      ['review', { hash: undefined, first: v + 2, last: v + 3 }],
    ];
    expect([...evolveCase(kycState, later).recordedKeys]).to.deep.equal(expected);
    const all = [...kycEvents, ...later];
    const appendByAppend = [all.slice(0, 2), all.slice(2, v), all.slice(v, v + 2), all.slice(v + 2)].reduce(
      evolveCase,
      emptyCase(kycCmd.case_id),
    );
    expect([...appendByAppend.recordedKeys]).to.deep.equal(expected);
  });

  it("keeps a message's versions to its own run: a notification a retried lookup records later under the creation's key adds none", () => {
    const notification = decideNotification(kybCmd, found(activeRule), kybState.version + 1);
    const closed = statusUpdate(kybCmd.case_id, kybState.version + 1, 'doc', 'UPLOADED');
    const later = evolveCase(kybState, [{ ...closed, metadata: { correlation_id: 'close', causation_id: 'close' } }, notification]);
    expect(later.recordedKeys.get(kybCmd.key)).to.deep.equal({ hash: kybCmd.content_hash, first: 1, last: kybState.version });
    expect(later.notificationVersions.get(notification.event_id)).to.equal(kybState.version + 2);
    const atOnce = evolveCase(kybState, [decideNotification(kybCmd, found(activeRule), kybState.version)]);
    expect(atOnce.recordedKeys.get(kybCmd.key)).to.deep.equal({ hash: kybCmd.content_hash, first: 1, last: kybState.version + 1 });
  });

  it('records the facts of the created case', () => {
    expect(kycState.facts).to.deep.equal({
      client_id: 'client-42',
      case_type: 'STANDARD_DUE_DILIGENCE',
      traitement_type: 'KYC',
      company_id: null,
    });
    expect(kybState.facts!.company_id).to.be.a('string');
    expect(kybState.facts!.traitement_type).to.equal('KYB');
  });

  it('ends at the version of the last case event', () => {
    const last = Math.max(...kycEvents.filter((e) => e.aggregate_id === kycCmd.case_id).map((e) => e.version));
    expect(kycState.version).to.equal(last);
  });

  it('knows every person added to the case', () => {
    const added = kybEvents.filter((e) => e.event_type === 'PersonAddedToCase');
    expect(kybState.personIds.size).to.equal(3);
    for (const e of added) expect(kybState.personIds.has(e.payload.person_id)).to.equal(true);
  });

  it('knows every document requirement, each awaiting upload and without notes', () => {
    const determined = kybEvents.filter((e) => e.event_type === 'DocumentRequirementDetermined');
    expect(kybState.documents.size).to.equal(determined.length);
    for (const e of determined) {
      expect(kybState.documents.get(e.payload.document_requirement_id)).to.deep.equal({
        id: e.payload.document_requirement_id,
        entity_id: e.payload.entity_id,
        entity_type: e.payload.entity_type,
        document_type: e.payload.document_type,
        status: 'AWAITING_UPLOAD',
        notes: 0,
      });
    }
  });

  it("remembers the creating message's key and the first person, which a notification decided later needs", () => {
    expect(kybState.creation).to.deep.equal({ key: kybCmd.key, first_person: { firstname: 'Grace', lastname: 'Hopper' } });
    expect(evolveCase(emptyCase(kycCmd.case_id), kycEvents.slice(0, 1)).creation).to.deep.equal({ key: kycCmd.key, first_person: null });
    expect(emptyCase('case-1').creation).to.equal(null);
  });

  it('remembers the version of every notification the case recorded, by its id, and of no other event', () => {
    const notification = decideNotification(kybCmd, found(activeRule), kybState.version);
    const notified = evolveCase(kybState, [notification]);
    expect([...kybState.notificationVersions]).to.deep.equal([]);
    expect([...notified.notificationVersions]).to.deep.equal([[notification.event_id, kybState.version + 1]]);
  });

  it('ignores events of the company stream', () => {
    const companyEvents = kybEvents.filter((e) => e.aggregate_id !== kybCmd.case_id);
    expect(companyEvents).to.not.be.empty;
    expect(evolveCase(kybState, companyEvents)).to.equal(kybState);
    expect(kybState.version).to.equal(kybEvents.filter((e) => e.aggregate_id === kybCmd.case_id).length);
  });

  it('ignores events of another case', () => {
    expect(evolveCase(emptyCase('some-other-case'), kycEvents)).to.deep.equal(emptyCase('some-other-case'));
  });

  it('ignores events it has already folded, so replaying a stream changes nothing', () => {
    expect(evolveCase(kybState, kybEvents)).to.deep.equal(kybState);
  });

  it('applies a status update to the named document and moves to its version', () => {
    const [docId] = [...kycState.documents.keys()];
    const next = evolveCase(kycState, [statusUpdate(kycCmd.case_id, kycState.version + 1, docId!, 'UPLOADED')]);
    expect(next.documents.get(docId!)!.status).to.equal('UPLOADED');
    expect(next.version).to.equal(kycState.version + 1);
    const others = [...next.documents.values()].filter((d) => d.id !== docId);
    for (const d of others) expect(d.status).to.equal('AWAITING_UPLOAD');
  });

  it('counts the notes every status update adds to a document', () => {
    const [docId] = [...kycState.documents.keys()];
    const withNotes = (version: number, status: 'UPLOADED' | 'REJECTED', notes: string[]) => {
      const e = statusUpdate(kycCmd.case_id, version, docId!, status);
      return { ...e, payload: { ...e.payload, notes_added: notes } };
    };
    const next = evolveCase(kycState, [
      withNotes(kycState.version + 1, 'UPLOADED', ['a', 'b']),
      withNotes(kycState.version + 2, 'REJECTED', ['c']),
    ]);
    expect(next.documents.get(docId!)!.notes).to.equal(3);
  });

  it('only moves the version on for a status update of a document it does not know', () => {
    const next = evolveCase(kycState, [statusUpdate(kycCmd.case_id, kycState.version + 1, 'no-such-doc', 'UPLOADED')]);
    expect(next.version).to.equal(kycState.version + 1);
    expect(next.documents).to.deep.equal(kycState.documents);
  });

  it('only moves the version on for a NotificationRequired event', () => {
    const notification = {
      ...statusUpdate(kycCmd.case_id, kycState.version + 1, 'x', 'UPLOADED'),
      event_type: 'NotificationRequired',
    } as unknown as CaseEvent;
    const next = evolveCase(kycState, [notification]);
    expect(next.version).to.equal(kycState.version + 1);
    expect(next.documents).to.deep.equal(kycState.documents);
    expect(next.facts).to.deep.equal(kycState.facts);
  });

  it('does not change the state it was given', () => {
    const before = emptyCase(kycCmd.case_id);
    evolveCase(before, kycEvents);
    expect(before).to.deep.equal(emptyCase(kycCmd.case_id));
    const [docId] = [...kycState.documents.keys()];
    evolveCase(kycState, [statusUpdate(kycCmd.case_id, kycState.version + 1, docId!, 'REJECTED')]);
    expect(kycState.documents.get(docId!)!.status).to.equal('AWAITING_UPLOAD');
  });
});
