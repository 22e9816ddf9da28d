import * as E from 'fp-ts/lib/Either.js';
import { eventMetadata, type CaseCommandWithContext, type DocumentCommandWithContext } from './commands.js';
import type { DetermineDocumentRequirements, UpdateDocumentStatus } from './caseCommand.js';
import type { CaseState } from './caseState.js';
import { documentRequirementEvents, documentRequirementId } from './decideCaseCreation.js';
import { idFor, idsFor } from './deterministicId.js';
import { requiredDocuments } from './documentRules.js';
import type { CaseEvent, DocumentStatusUpdated } from './events.js';
import { rejection, type Rejection } from './rejection.js';

/** MAX_NOTES_PER_DOCUMENT's default: the notes one document requirement may collect over its life. */
export const DEFAULT_MAX_NOTES_PER_DOCUMENT = 500;

export const unknownCase = (case_id: string): Rejection =>
  rejection(`unknown case ${case_id}`, [{ path: '$.case_id', rule: 'must name an existing case' }]);

/** Determines the documents an entity of the case still lacks; asking again adds nothing already there. */
export const decideDocumentRequirements = (
  state: CaseState,
  cmd: DetermineDocumentRequirements & CaseCommandWithContext,
): E.Either<Rejection, CaseEvent[]> => {
  const { facts, creation } = state;
  if (!facts || !creation) return E.left(unknownCase(cmd.case_id));
  const belongs = cmd.entity_type === 'PERSON' ? state.personIds.has(cmd.entity_id) : facts.company_id === cmd.entity_id;
  if (!belongs) {
    return E.left(
      rejection(`unknown ${cmd.entity_type.toLowerCase()} ${cmd.entity_id} in case ${cmd.case_id}`, [
        { path: '$.entity_id', rule: `must name a ${cmd.entity_type.toLowerCase()} of the case` },
      ]),
    );
  }
  // The case's documents are ids of its creation; the events are this message's.
  const creationIds = idsFor(creation.key);
  const missing = requiredDocuments(cmd.entity_type, facts.traitement_type, facts.case_type).filter(
    (document_type) => !state.documents.has(documentRequirementId(creationIds, cmd.entity_id, document_type)),
  );
  return E.right(
    documentRequirementEvents({
      eventId: idsFor(cmd.key).series('event', state.case_id),
      creation: creationIds,
      case_id: state.case_id,
      entity_id: cmd.entity_id,
      entity_type: cmd.entity_type,
      document_types: missing,
      firstVersion: state.version + 1,
      timestamp: cmd.timestamp,
      metadata: eventMetadata(cmd),
    }),
  );
};

/**
 * Moves a document requirement to a new status; setting the current status again records nothing.
 * Notes that would take the document beyond `maxNotes` refuse the update: a document that grew
 * without bound would one day be too large to store.
 */
export const decideDocumentStatusUpdate = (
  state: CaseState,
  cmd: UpdateDocumentStatus & CaseCommandWithContext,
  maxNotes: number = DEFAULT_MAX_NOTES_PER_DOCUMENT,
): E.Either<Rejection, CaseEvent[]> => {
  if (!state.facts) return E.left(unknownCase(cmd.case_id));
  const doc = state.documents.get(cmd.document_requirement_id);
  if (!doc) {
    return E.left(
      rejection(`unknown document requirement ${cmd.document_requirement_id} in case ${cmd.case_id}`, [
        { path: '$.document_requirement_id', rule: 'must name a document requirement of the case' },
      ]),
    );
  }
  if (doc.status === cmd.new_status) return E.right([]);
  if (doc.notes + cmd.notes_to_add.length > maxNotes) {
    return E.left(
      rejection(`document requirement ${doc.id} would hold more than ${maxNotes} notes (it has ${doc.notes})`, [
        { path: '$.notes_to_add', rule: `must not take the document beyond ${maxNotes} notes` },
      ]),
    );
  }
  const version = state.version + 1;
  const event: DocumentStatusUpdated = {
    event_id: idFor(cmd.key, 'event', state.case_id, version),
    event_type: 'DocumentStatusUpdated',
    aggregate_id: state.case_id,
    timestamp: cmd.timestamp,
    version,
    payload: {
      document_requirement_id: doc.id,
      new_status: cmd.new_status,
      old_status: doc.status,
      updated_by: cmd.updated_by_actor_id || cmd.updated_by_actor_type || 'SYSTEM',
      metadata_update: cmd.metadata_changes,
      notes_added: cmd.notes_to_add,
    },
    metadata: eventMetadata(cmd),
  };
  return E.right([event]);
};

/** Decides a document command against the case state. */
export const decideCaseCommand = (
  state: CaseState,
  cmd: DocumentCommandWithContext,
  maxNotesPerDocument?: number,
): E.Either<Rejection, CaseEvent[]> =>
  cmd.command_type === 'DetermineDocumentRequirements'
    ? decideDocumentRequirements(state, cmd)
    : decideDocumentStatusUpdate(state, cmd, maxNotesPerDocument);
