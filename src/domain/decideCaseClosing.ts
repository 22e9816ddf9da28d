import * as E from 'fp-ts/lib/Either.js';
import type { CloseCase } from './caseCommand.js';
import type { CaseState } from './caseState.js';
import { eventMetadata, type CommandContext } from './commands.js';
import { unknownCase } from './decideDocumentCommands.js';
import { idFor } from './deterministicId.js';
import type { CaseClosed, CaseEvent } from './events.js';
import { rejection, type Rejection } from './rejection.js';

/** A document command on a closed case: its record is final, and its retention period is already running. */
export const caseIsClosed = (state: Pick<CaseState, 'case_id' | 'closed_at'>): Rejection =>
  rejection(`case ${state.case_id} is closed${state.closed_at ? ` since ${state.closed_at.toISOString()}` : ''}`, [
    { path: '$.case_id', rule: 'must name an open case' },
  ]);

/**
 * Closes a case: records CaseClosed with the reason. Closing a closed case records nothing, so the
 * first closing's time, from which the case's retention runs, stays as it was.
 */
export const decideCaseClosing = (state: CaseState, cmd: CloseCase & CommandContext): E.Either<Rejection, CaseEvent[]> => {
  if (!state.facts) return E.left(unknownCase(cmd.case_id));
  if (state.closed_at !== null) return E.right([]);
  const version = state.version + 1;
  const event: CaseClosed = {
    event_id: idFor(cmd.key, 'event', state.case_id, version),
    event_type: 'CaseClosed',
    aggregate_id: state.case_id,
    timestamp: cmd.timestamp,
    version,
    payload: { reason: cmd.reason, closed_by: cmd.closed_by || 'SYSTEM' },
    metadata: eventMetadata(cmd),
  };
  return E.right([event]);
};
