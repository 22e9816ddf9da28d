import * as E from 'fp-ts/lib/Either.js';
import type { EraseSubject, ErasureSubject } from './caseCommand.js';
import { firstPersonId, type CaseState } from './caseState.js';
import { eventMetadata, type CommandContext, type CreateCase } from './commands.js';
import { unknownCase } from './decideDocumentCommands.js';
import { idFor } from './deterministicId.js';
import type { CaseEvent, PersonalDataErased } from './events.js';
import { erasedFieldNames, PERSONAL_DATA, subjectKey, withMasks } from './personalData.js';
import { rejection, type Rejection } from './rejection.js';

/** An erasure refused while the case is under legal hold: the reason names the hold's. */
export const underLegalHold = (state: Pick<CaseState, 'case_id' | 'legal_hold'>): Rejection =>
  rejection(
    `case ${state.case_id} is under legal hold${state.legal_hold ? ` since ${state.legal_hold.since.toISOString()} (${state.legal_hold.reason})` : ''}: its personal data may not be erased until the hold is lifted`,
    [{ path: '$.case_id', rule: 'must name a case that is not under legal hold' }],
  );

const KIND_NAMES = { person: 'person', beneficial_owner: 'beneficial owner' } as const;

const unknownSubject = (case_id: string, subject: ErasureSubject): Rejection =>
  rejection(`unknown ${KIND_NAMES[subject.kind]} ${subject.id} in case ${case_id}`, [
    { path: '$.subject.id', rule: `must name a ${KIND_NAMES[subject.kind]} of the case` },
  ]);

/**
 * Erases a person of the case, or a beneficial owner of its company (`beneficialOwners`: their
 * ids, as the company stream holds them; the case stream does not): records PersonalDataErased,
 * after which a step masks the subject's data in every store. Nothing new for a subject already
 * erased (the masking still runs: it finishes an erasure a crash interrupted); refused for an
 * unknown case or subject, and while the case is under legal hold. A closed case may be erased.
 */
export const decideErasure = (
  state: CaseState,
  cmd: EraseSubject & CommandContext,
  beneficialOwners: ReadonlySet<string>,
): E.Either<Rejection, CaseEvent[]> => {
  if (!state.facts) return E.left(unknownCase(cmd.case_id));
  if (state.erased.has(subjectKey(cmd.subject))) return E.right([]);
  if (state.legal_hold !== null) return E.left(underLegalHold(state));
  const known = cmd.subject.kind === 'person' ? state.personIds : beneficialOwners;
  if (!known.has(cmd.subject.id)) return E.left(unknownSubject(cmd.case_id, cmd.subject));
  const version = state.version + 1;
  const firstPerson = cmd.subject.kind === 'person' && firstPersonId(state.personIds) === cmd.subject.id;
  const event: PersonalDataErased = {
    event_id: idFor(cmd.key, 'event', state.case_id, version),
    event_type: 'PersonalDataErased',
    aggregate_id: state.case_id,
    timestamp: cmd.timestamp,
    version,
    payload: {
      subject: { kind: cmd.subject.kind, id: cmd.subject.id },
      reason: cmd.reason,
      requested_by: cmd.requested_by,
      fields: erasedFieldNames(cmd.subject.kind, firstPerson),
    },
    metadata: eventMetadata(cmd),
  };
  return E.right([event]);
};

/**
 * The creating message of a stored case with its erased persons masked (its persons are the case's
 * in order), so that a notification decided on its redelivery names nobody erased.
 */
export const afterErasures = (state: CaseState, cmd: CreateCase): CreateCase => {
  if (state.erased.size === 0) return cmd;
  const ids = [...state.personIds];
  const persons = cmd.message.persons.map((p, i) =>
    state.erased.has(subjectKey({ kind: 'person', id: ids[i] ?? '' })) ? withMasks(p, PERSONAL_DATA.message.person.masks) : p,
  );
  return { ...cmd, message: { ...cmd.message, persons } };
};
