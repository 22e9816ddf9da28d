import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  decodeCaseCommand,
  type CaseCommand,
  type EraseSubject,
  type ErasureSubject,
  type LegalHoldCommand,
} from '../../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { CommandContext } from '../../../src/domain/commands.js';
import { decide } from '../../../src/domain/decide.js';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import { isEventOf, type DomainEvent } from '../../../src/domain/events.js';
import { contentOf, creationCommand, found, leftOf, rawKybMessage, rightOf } from './fixtures.js';

const T1 = new Date('2024-05-02T08:00:00.000Z');
const T2 = new Date('2024-06-01T08:00:00.000Z');

const created = creationCommand(rawKybMessage(), 'create-kyb');
const creation = decideCaseCreation(created);
const stored = evolveCase(emptyCase(created.case_id), creation);
const [grace, alan] = creation.filter(isEventOf('PersonAddedToCase')).map((e) => e.payload.person_id);
const [owner] = creation.filter(isEventOf('BeneficialOwnerAdded')).map((e) => e.payload.beneficial_owner_id);
const owners = new Set(creation.filter(isEventOf('BeneficialOwnerAdded')).map((e) => e.payload.beneficial_owner_id));

const withContext = <C extends CaseCommand>(cmd: C, key: string, timestamp = T1): C & CommandContext => ({
  ...cmd,
  key,
  content_hash: contentOf(cmd),
  timestamp,
});

const erase = (subject: ErasureSubject, key = 'erase-1', timestamp = T1): EraseSubject & CommandContext =>
  withContext(
    {
      command_type: 'EraseSubject',
      command_id: `cmd-${key}`,
      case_id: created.case_id,
      subject,
      reason: 'GDPR art. 17 #4711',
      requested_by: 'dpo-alice',
    },
    key,
    timestamp,
  );

const hold = (
  command_type: LegalHoldCommand['command_type'],
  key: string,
  reason: string,
  timestamp = T1,
): LegalHoldCommand & CommandContext =>
  withContext(
    command_type === 'PlaceLegalHold'
      ? { command_type, command_id: `cmd-${key}`, case_id: created.case_id, reason, placed_by: 'mlro-bob' }
      : { command_type, command_id: `cmd-${key}`, case_id: created.case_id, reason, lifted_by: 'mlro-bob' },
    key,
    timestamp,
  );

/** The state after deciding and folding each command in turn (each must be accepted). */
const after = (state: CaseState, ...commands: (CaseCommand & CommandContext)[]): CaseState =>
  commands.reduce((s, c) => evolveCase(s, rightOf(decide(s, c, null, undefined, owners))), state);

const PERSONAL_VALUES = ['Grace', 'Hopper', '1906-12-09'];

describe('erasing a data subject', () => {
  it("records PersonalDataErased after the case's last event: subject, reason, requester and the names of the fields, never their values", () => {
    const [event, ...more] = rightOf(decide(stored, erase({ kind: 'person', id: alan! }), null));
    expect(more).to.deep.equal([]);
    expect(event).to.deep.include({
      event_type: 'PersonalDataErased',
      aggregate_id: created.case_id,
      version: stored.version + 1,
      timestamp: T1,
      payload: {
        subject: { kind: 'person', id: alan },
        reason: 'GDPR art. 17 #4711',
        requested_by: 'dpo-alice',
        fields: ['firstname', 'lastname', 'birthdate'],
      },
    });
    for (const value of PERSONAL_VALUES) expect(JSON.stringify(event)).not.to.contain(value);
  });

  it("names the notification's contact fields too when the subject is the case's first person, whom notifications address", () => {
    const [event] = rightOf(decide(stored, erase({ kind: 'person', id: grace! }), null));
    expect(event?.event_type === 'PersonalDataErased' && event.payload.fields).to.deep.equal([
      'firstname',
      'lastname',
      'birthdate',
      'primary_contact_name',
      'client_name',
    ]);
  });

  it('erases a beneficial owner that the company stream holds', () => {
    const [event] = rightOf(decide(stored, erase({ kind: 'beneficial_owner', id: owner! }), null, undefined, owners));
    expect(event?.payload).to.deep.include({ subject: { kind: 'beneficial_owner', id: owner } });
  });

  it('records nothing new when the subject is already erased, whatever the command (idempotent)', () => {
    const erased = after(stored, erase({ kind: 'person', id: alan! }));
    expect(rightOf(decide(erased, erase({ kind: 'person', id: alan! }, 'erase-again', T2), null))).to.deep.equal([]);
    expect(rightOf(decide(erased, erase({ kind: 'person', id: alan! }), null)), 'the same command redelivered').to.deep.equal([]);
  });

  it('refuses while the case is under legal hold, naming the hold, since when and why, and records nothing', () => {
    const held = after(stored, hold('PlaceLegalHold', 'hold-1', 'AML investigation 2024-17'));
    const why = leftOf(decide(held, erase({ kind: 'person', id: alan! }), null));
    expect(why.reason).to.equal(
      `case ${created.case_id} is under legal hold since ${T1.toISOString()} (AML investigation 2024-17): its personal data may not be erased until the hold is lifted`,
    );
    expect(why.details).to.deep.equal([{ path: '$.case_id', rule: 'must name a case that is not under legal hold' }]);
  });

  it('erases again once the hold is lifted', () => {
    const lifted = after(stored, hold('PlaceLegalHold', 'hold-1', 'AML'), hold('LiftLegalHold', 'lift-1', 'closed', T2));
    expect(rightOf(decide(lifted, erase({ kind: 'person', id: alan! }, 'erase-2', T2), null))).to.have.length(1);
  });

  it('refuses a subject the case does not have: an unknown person, or a beneficial owner its company does not hold', () => {
    expect(leftOf(decide(stored, erase({ kind: 'person', id: 'nobody' }), null)).details).to.deep.equal([
      { path: '$.subject.id', rule: 'must name a person of the case' },
    ]);
    const why = leftOf(decide(stored, erase({ kind: 'beneficial_owner', id: owner! }), null, undefined, new Set()));
    expect(why.reason).to.equal(`unknown beneficial owner ${owner} in case ${created.case_id}`);
    expect(leftOf(decide(stored, erase({ kind: 'beneficial_owner', id: grace! }), null, undefined, owners)).reason).to.contain(
      'unknown beneficial owner',
    );
  });

  it('refuses an unknown case', () => {
    expect(leftOf(decide(emptyCase(created.case_id), erase({ kind: 'person', id: alan! }), null)).reason).to.equal(
      `unknown case ${created.case_id}`,
    );
  });

  it('erases on a closed case: closing starts its retention, whose end is an erasure', () => {
    const closed = after(
      stored,
      withContext(
        { command_type: 'CloseCase', command_id: 'cmd-close', case_id: created.case_id, reason: 'ended', closed_by: 'ops' },
        'close',
      ),
    );
    expect(rightOf(decide(closed, erase({ kind: 'person', id: alan! }, 'erase-2', T2), null))).to.have.length(1);
  });

  it("folds erasures into the case: the subject is erased, and the first person's names go once they are erased", () => {
    const alanErased = after(stored, erase({ kind: 'person', id: alan! }));
    expect([...alanErased.erased]).to.deep.equal([`person:${alan}`]);
    expect(alanErased.creation?.first_person).to.deep.equal({ firstname: 'Grace', lastname: 'Hopper' });
    const graceErased = after(alanErased, erase({ kind: 'person', id: grace! }, 'erase-2', T2));
    expect(graceErased.creation?.first_person).to.equal(null);
    expect(graceErased.creation?.key, 'notification ids still derive from it').to.equal('create-kyb');
  });

  it('decides a notification that names nobody erased when the creating message comes again after its first person was erased', () => {
    const rule = { rule_id: 'r-1', is_active: true, notification_type: 'EMAIL_WELCOME', template_id: 't', language_code: 'en' };
    const graceErased = after(stored, erase({ kind: 'person', id: grace! }));
    const [notification] = rightOf(decide(graceErased, created, found(rule)));
    expect(notification?.event_id, 'the same notification as the creation would have decided').to.equal(
      decideNotification(created, found(rule), stored.version).event_id,
    );
    for (const value of PERSONAL_VALUES) expect(JSON.stringify(notification)).not.to.contain(value);
  });
});

describe('legal hold', () => {
  it('records LegalHoldPlaced with why and by whom, and the case is held since then', () => {
    const [event] = rightOf(decide(stored, hold('PlaceLegalHold', 'hold-1', 'AML investigation 2024-17'), null)) as DomainEvent[];
    expect(event).to.deep.include({
      event_type: 'LegalHoldPlaced',
      version: stored.version + 1,
      payload: { reason: 'AML investigation 2024-17', placed_by: 'mlro-bob' },
    });
    expect(after(stored, hold('PlaceLegalHold', 'hold-1', 'AML investigation 2024-17')).legal_hold).to.deep.equal({
      since: T1,
      reason: 'AML investigation 2024-17',
    });
  });

  it('keeps the first hold: placing one on a held case records nothing', () => {
    const held = after(stored, hold('PlaceLegalHold', 'hold-1', 'AML'));
    expect(rightOf(decide(held, hold('PlaceLegalHold', 'hold-2', 'again', T2), null))).to.deep.equal([]);
  });

  it('records LegalHoldLifted with why and by whom, after which the case is held no more; lifting no hold records nothing', () => {
    const held = after(stored, hold('PlaceLegalHold', 'hold-1', 'AML'));
    const [lifted] = rightOf(decide(held, hold('LiftLegalHold', 'lift-1', 'investigation closed', T2), null));
    expect(lifted).to.deep.include({ event_type: 'LegalHoldLifted', payload: { reason: 'investigation closed', lifted_by: 'mlro-bob' } });
    expect(after(held, hold('LiftLegalHold', 'lift-1', 'investigation closed', T2)).legal_hold).to.equal(null);
    expect(rightOf(decide(stored, hold('LiftLegalHold', 'lift-2', 'nothing held'), null))).to.deep.equal([]);
  });

  it('refuses a hold on an unknown case', () => {
    expect(leftOf(decide(emptyCase('nope'), { ...hold('PlaceLegalHold', 'h', 'r'), case_id: 'nope' }, null)).reason).to.equal(
      'unknown case nope',
    );
  });
});

describe('the erasure and hold commands on the command topic', () => {
  it('decode with their subject, reason and who asks', () => {
    const command = {
      command_type: 'EraseSubject',
      command_id: 'c-1',
      case_id: 'case-1',
      subject: { kind: 'beneficial_owner', id: 'bo-1' },
      reason: 'r',
      requested_by: 'dpo',
    };
    expect(decodeCaseCommand(command)).to.deep.equal(E.right(command));
    const place = { command_type: 'PlaceLegalHold', command_id: 'c-2', case_id: 'case-1', reason: 'r', placed_by: 'mlro' };
    expect(decodeCaseCommand(place)).to.deep.equal(E.right(place));
  });

  it('are refused without a reason or with an unknown kind of subject, naming the fields', () => {
    const decoded = decodeCaseCommand({
      command_type: 'EraseSubject',
      command_id: 'c-1',
      case_id: 'case-1',
      subject: { kind: 'company', id: 'x' },
      reason: ' ',
      requested_by: 'dpo',
    });
    expect(E.isLeft(decoded) && decoded.left.map((e) => e.path)).to.deep.equal(['$.subject.kind', '$.reason']);
    const lift = decodeCaseCommand({ command_type: 'LiftLegalHold', command_id: 'c-3', case_id: 'case-1', lifted_by: 'mlro' });
    expect(E.isLeft(lift) && lift.left).to.deep.equal([{ path: '$.reason', rule: 'is required' }]);
  });
});
