import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { decodeCaseCommand, type CaseCommand, type CloseCase } from '../../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { CommandContext } from '../../../src/domain/commands.js';
import { decide } from '../../../src/domain/decide.js';
import { decideCaseClosing } from '../../../src/domain/decideCaseClosing.js';
import { decideCaseCreation, documentRequirementId } from '../../../src/domain/decideCaseCreation.js';
import { isEventOf } from '../../../src/domain/events.js';
import { applyWrite, projectEvents } from '../../../src/domain/projections.js';
import { contentOf, creationCommand, leftOf, rawKycMessage, rightOf } from './fixtures.js';

const T1 = new Date('2024-05-02T08:00:00.000Z');
const T2 = new Date('2024-06-01T08:00:00.000Z');

const created = creationCommand(rawKycMessage(), 'create-kyc');
const createdEvents = decideCaseCreation(created);
const open = evolveCase(emptyCase(created.case_id), createdEvents);

const withContext = <C extends CaseCommand>(cmd: C, key: string, timestamp = T1): C & CommandContext => ({
  ...cmd,
  key,
  content_hash: contentOf(cmd),
  timestamp,
});

const close = (state: CaseState, key = 'close-1', timestamp = T1, closed_by: string | null = 'ops-alice'): CloseCase & CommandContext =>
  withContext(
    { command_type: 'CloseCase', command_id: `cmd-${key}`, case_id: state.case_id, reason: 'business relationship ended', closed_by },
    key,
    timestamp,
  );

const closedState = evolveCase(open, rightOf(decideCaseClosing(open, close(open))));

describe('closing a case', () => {
  it('records CaseClosed after the last event, with the reason, who closed it and when', () => {
    const events = rightOf(decideCaseClosing(open, close(open)));
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({
      event_type: 'CaseClosed',
      aggregate_id: open.case_id,
      version: open.version + 1,
      timestamp: T1,
      payload: { reason: 'business relationship ended', closed_by: 'ops-alice' },
      metadata: { correlation_id: 'close-1', causation_id: 'cmd-close-1', content_hash: close(open).content_hash },
    });
  });

  it('says SYSTEM closed it when the command names nobody', () => {
    const [event] = rightOf(decideCaseClosing(open, close(open, 'close-2', T1, null)));
    expect(event?.payload).to.deep.equal({ reason: 'business relationship ended', closed_by: 'SYSTEM' });
  });

  it('makes the same event id from the same message, so a redelivery records nothing new', () => {
    expect(rightOf(decideCaseClosing(open, close(open)))[0]?.event_id).to.equal(rightOf(decideCaseClosing(open, close(open)))[0]?.event_id);
    expect(rightOf(decide(closedState, close(open), null))).to.deep.equal([]);
  });

  it('keeps the first closing: closing a closed case again records nothing, and its retention still runs from then', () => {
    expect(closedState.closed_at).to.deep.equal(T1);
    expect(rightOf(decide(closedState, close(closedState, 'close-again', T2), null))).to.deep.equal([]);
  });

  it('refuses to close a case that does not exist', () => {
    const unknown = emptyCase('no-such-case');
    expect(leftOf(decideCaseClosing(unknown, close(unknown))).details).to.deep.equal([
      { path: '$.case_id', rule: 'must name an existing case' },
    ]);
  });

  it("refuses document commands on a closed case, naming when it was closed, and leaves the case's record as it was", () => {
    const personId = createdEvents.find(isEventOf('PersonAddedToCase'))!.payload.person_id;
    const determine = withContext<CaseCommand>(
      {
        command_type: 'DetermineDocumentRequirements',
        command_id: 'cmd-d',
        case_id: open.case_id,
        entity_id: personId,
        entity_type: 'PERSON',
      },
      'determine-after-close',
      T2,
    );
    const refused = leftOf(decide(closedState, determine, null));
    expect(refused.reason).to.equal(`case ${open.case_id} is closed since ${T1.toISOString()}`);
    expect(refused.details).to.deep.equal([{ path: '$.case_id', rule: 'must name an open case' }]);

    const update = withContext<CaseCommand>(
      {
        command_type: 'UpdateDocumentStatus',
        command_id: 'cmd-u',
        case_id: open.case_id,
        document_requirement_id: documentRequirementId(created.ids, personId, 'PASSPORT'),
        new_status: 'UPLOADED',
        updated_by_actor_type: null,
        updated_by_actor_id: null,
        metadata_changes: {},
        notes_to_add: [],
      },
      'update-after-close',
      T2,
    );
    expect(E.isLeft(decide(closedState, update, null))).to.equal(true);
    expect(E.isRight(decide(open, update, null))).to.equal(true);
  });

  it('shows the case as CLOSED in the cases read model, with closed_at, the reason and who closed it, once', () => {
    const closing = rightOf(decideCaseClosing(open, close(open)));
    const writes = projectEvents([...createdEvents, ...closing]).filter((w) => w.collection === 'cases');
    const doc = writes.reduce<Record<string, unknown> | undefined>((d, w) => applyWrite(d, w), undefined);
    expect(doc).to.deep.include({
      status: 'CLOSED',
      closed_at: T1,
      closure_reason: 'business relationship ended',
      closed_by: 'ops-alice',
      updated_at: T1,
    });
    expect(applyWrite(doc, writes[writes.length - 1]!)).to.deep.equal(doc);
  });

  it('decodes CloseCase from the command topic: a reason is required, who closed it is optional', () => {
    const command = { command_type: 'CloseCase', command_id: 'c-1', case_id: 'case-1', reason: 'ended' };
    expect(rightOf(decodeCaseCommand(command))).to.deep.equal({ ...command, closed_by: null });
    expect(leftOf(decodeCaseCommand({ ...command, reason: '' }))).to.deep.equal([{ path: '$.reason', rule: 'must be a non-empty string' }]);
    expect(leftOf(decodeCaseCommand({ command_type: 'CloseCase', command_id: 'c-1', case_id: 'case-1' }))[0]?.path).to.equal('$.reason');
  });
});
