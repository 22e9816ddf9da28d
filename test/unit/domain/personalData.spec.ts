import { expect } from 'chai';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import { isEventOf, type DomainEvent, type PersonalDataErased } from '../../../src/domain/events.js';
import {
  ERASED,
  holdsPersonalData,
  maskEvent,
  maskRawMessage,
  personalFieldNames,
  subjectIndex,
  withMasks,
} from '../../../src/domain/personalData.js';
import { applyWrite, projectEvent, projectEvents, type ReadModelName } from '../../../src/domain/projections.js';
import { creationCommand, found, rawKybMessage } from './fixtures.js';

const created = creationCommand(rawKybMessage(), 'create-kyb');
const rule = { rule_id: 'r-1', is_active: true, notification_type: 'EMAIL_WELCOME', template_id: 't', language_code: 'en' };
const creation: DomainEvent[] = [...decideCaseCreation(created), decideNotification(created, found(rule), 10)];
const [grace, alan, edsger] = creation.filter(isEventOf('PersonAddedToCase')).map((e) => e.payload.person_id);
const [hopperAsOwner, liskov] = creation.filter(isEventOf('BeneficialOwnerAdded')).map((e) => e.payload.beneficial_owner_id);

const erasure = (subject: PersonalDataErased['payload']['subject'], version: number): PersonalDataErased => ({
  event_id: `erased-${version}`,
  event_type: 'PersonalDataErased',
  aggregate_id: created.case_id,
  timestamp: new Date('2024-05-02T08:00:00.000Z'),
  version,
  payload: { subject, reason: 'GDPR', requested_by: 'dpo', fields: ['firstname', 'lastname', 'birthdate'] },
  metadata: { correlation_id: 'erase-1', causation_id: 'cmd-erase-1' },
});

/** The read models the events project to, as collection → id → document. */
const project = (events: readonly DomainEvent[]) => {
  const docs = new Map<string, Record<string, unknown>>();
  for (const w of projectEvents(events)) {
    const key = `${w.collection}/${w.id}`;
    const next = applyWrite(docs.get(key), w);
    if (next) docs.set(key, next);
  }
  return (collection: ReadModelName, id: string) => docs.get(`${collection}/${id}`);
};

describe('the inventory of personal data', () => {
  it('names every personal field and message body for the log redaction', () => {
    expect(personalFieldNames().sort()).to.deep.equal(
      ['birthdate', 'client_name', 'firstname', 'lastname', 'payload', 'primary_contact_name', 'value'].sort(),
    );
  });

  it("masks a person's names and birth date in the events that hold them, on the case stream and the company stream, and nobody else's", () => {
    const masked = creation.map((e) => maskEvent(e, { kind: 'person', id: grace! }, false));
    const changed = masked.filter((e, i) => e !== creation[i]);
    expect(changed.map((e) => e.event_type)).to.deep.equal(['PersonLinkedToCompany', 'PersonAddedToCase']);
    for (const e of changed) expect(e.payload).to.include({ firstname: ERASED, lastname: ERASED, birthdate: null });
    expect(changed[0]?.payload).to.include({ role_in_company: 'DIRECTOR', person_id: grace });
  });

  it("masks a beneficial owner's person details and keeps ownership and control", () => {
    const [masked] = creation
      .filter(isEventOf('BeneficialOwnerAdded'))
      .map((e) => maskEvent(e, { kind: 'beneficial_owner', id: hopperAsOwner! }, false));
    expect(masked?.payload).to.deep.include({
      person_details: { firstname: ERASED, lastname: ERASED, birthdate: null, role_in_company: 'DIRECTOR' },
      ownership_percentage: 60,
      types_of_control: ['SHARES', 'VOTING_RIGHTS'],
      is_ubo: true,
    });
  });

  it("masks a notification's contact names only when the subject is the case's first person", () => {
    const notification = creation.find(isEventOf('NotificationRequired'))!;
    expect(maskEvent(notification, { kind: 'person', id: alan! }, false)).to.equal(notification);
    const masked = maskEvent(notification, { kind: 'person', id: grace! }, true);
    expect(masked.payload).to.deep.include({
      recipient_details: { case_id: created.case_id, client_id: 'client-7', primary_contact_name: ERASED },
    });
    expect(masked.event_type === 'NotificationRequired' && masked.payload.context_data.client_name).to.equal(ERASED);
  });

  it('gives back the very event when nothing is left to mask, so masking again writes nothing', () => {
    const once = creation.map((e) => maskEvent(e, { kind: 'person', id: grace! }, true));
    const twice = once.map((e) => maskEvent(e, { kind: 'person', id: grace! }, true));
    twice.forEach((e, i) => expect(e).to.equal(once[i]));
  });

  it('leaves absent fields absent and the value untouched when it changes nothing', () => {
    const value = { recipient_details: { case_id: 'c' } };
    expect(withMasks(value, { 'recipient_details.primary_contact_name': ERASED })).to.equal(value);
  });

  it('finds where a subject sits in the creating message from the order of its events', () => {
    expect([grace, alan, edsger].map((id) => subjectIndex(creation, { kind: 'person', id: id! }))).to.deep.equal([0, 1, 2]);
    expect(subjectIndex(creation, { kind: 'beneficial_owner', id: liskov! })).to.equal(1);
    expect(subjectIndex(creation, { kind: 'person', id: 'nobody' })).to.equal(-1);
  });

  it("masks the subject's entry of the raw client message, keeps the others', and erases a message kept as text whole", () => {
    const raw = rawKybMessage();
    const masked = maskRawMessage(raw, 'beneficial_owner', 1) as Record<string, unknown>;
    expect(masked.beneficial_owners).to.deep.equal([
      (raw.beneficial_owners as unknown[])[0],
      { person_details: { firstname: ERASED, lastname: ERASED }, ownership_percentage: null },
    ]);
    expect(masked.persons).to.equal(raw.persons);
    expect(maskRawMessage(masked, 'beneficial_owner', 1)).to.equal(masked);
    expect(maskRawMessage('{"persons": [{"firstname": "Grace"}]}', 'person', 0)).to.equal(ERASED);
  });

  it("masks every field of the subject's raw entry but its role, fields casestream does not know included", () => {
    const raw = {
      ...rawKybMessage(),
      persons: [
        {
          firstname: 'Grace',
          lastname: 'Hopper',
          birthdate: '1906-12-09',
          role_in_company: 'DIRECTOR',
          nationality: 'US',
          address: { city: 'NYC' },
        },
      ],
    };
    expect((maskRawMessage(raw, 'person', 0) as typeof raw).persons).to.deep.equal([
      { firstname: ERASED, lastname: ERASED, birthdate: null, role_in_company: 'DIRECTOR', nationality: ERASED, address: null },
    ]);
  });
});

describe('projecting erasures and holds', () => {
  it('shows an erased person and beneficial owner masked in the read models, other data kept', () => {
    const view = project([
      ...creation,
      erasure({ kind: 'person', id: grace! }, 11),
      erasure({ kind: 'beneficial_owner', id: liskov! }, 12),
    ]);
    expect(view('persons', grace!)).to.deep.include({ firstname: ERASED, lastname: ERASED, birthdate: null, role_in_company: 'DIRECTOR' });
    expect(view('persons', alan!)).to.include({ firstname: 'Alan', lastname: 'Turing' });
    expect(view('beneficial_owners', liskov!)).to.deep.include({
      firstname: ERASED,
      lastname: ERASED,
      birthdate: null,
      ownership_percentage: null,
    });
  });

  it('never creates a document for a subject whose document is not projected yet (a replay meets the company stream later)', () => {
    const [write] = projectEvent(erasure({ kind: 'beneficial_owner', id: liskov! }, 11));
    expect(applyWrite(undefined, write!)).to.equal(undefined);
  });

  it('does not write back the names an erasure masked when a redelivered creation is projected again', () => {
    const view = project([...creation, erasure({ kind: 'person', id: alan! }, 11), ...creation]);
    expect(view('persons', alan!)).to.include({ firstname: ERASED, lastname: ERASED });
  });

  it('tells a subject whose read-model document an erasure masked from one that still holds personal data', () => {
    const view = project([...creation, erasure({ kind: 'person', id: alan! }, 11), erasure({ kind: 'beneficial_owner', id: liskov! }, 12)]);
    expect(holdsPersonalData('persons', view('persons', alan!)!), 'an erased person').to.equal(false);
    expect(holdsPersonalData('persons', view('persons', grace!)!), 'a person not erased').to.equal(true);
    expect(holdsPersonalData('beneficial_owners', view('beneficial_owners', liskov!)!), 'an erased owner').to.equal(false);
    expect(holdsPersonalData('beneficial_owners', view('beneficial_owners', hopperAsOwner!)!), 'an owner not erased').to.equal(true);
  });

  it('counts a document as still holding personal data when a single field is unmasked, or its names are absent rather than masked', () => {
    expect(holdsPersonalData('persons', { firstname: ERASED, lastname: ERASED, birthdate: '1990-01-01' })).to.equal(true);
    expect(holdsPersonalData('persons', { firstname: ERASED, lastname: 'Lovelace', birthdate: null })).to.equal(true);
    expect(holdsPersonalData('persons', { birthdate: null })).to.equal(true);
    // a date masked to null may be absent: FerretDB and MongoDB filters read it so too
    expect(holdsPersonalData('persons', { firstname: ERASED, lastname: ERASED })).to.equal(false);
  });

  it('shows a legal hold on the case, since when and why, and null once lifted', () => {
    const state = evolveCase(emptyCase(created.case_id), creation);
    const at = new Date('2024-05-02T08:00:00.000Z');
    const placed: DomainEvent = {
      event_id: 'h-1',
      event_type: 'LegalHoldPlaced',
      aggregate_id: created.case_id,
      timestamp: at,
      version: state.version + 1,
      payload: { reason: 'AML investigation', placed_by: 'mlro' },
      metadata: { correlation_id: 'hold', causation_id: 'cmd-hold' },
    };
    const lifted: DomainEvent = {
      ...placed,
      event_id: 'h-2',
      event_type: 'LegalHoldLifted',
      version: state.version + 2,
      payload: { reason: 'closed', lifted_by: 'mlro' },
    };
    expect(project([...creation, placed])('cases', created.case_id)).to.deep.include({
      legal_hold: { since: at, reason: 'AML investigation' },
    });
    expect(project([...creation, placed, lifted])('cases', created.case_id)).to.include({ legal_hold: null });
  });
});
