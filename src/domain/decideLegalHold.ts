import * as E from 'fp-ts/lib/Either.js';
import type { LegalHoldCommand } from './caseCommand.js';
import type { CaseState } from './caseState.js';
import { eventMetadata, type CommandContext } from './commands.js';
import { unknownCase } from './decideDocumentCommands.js';
import { idFor } from './deterministicId.js';
import type { CaseEvent } from './events.js';
import type { Rejection } from './rejection.js';

/**
 * Places or lifts a case's legal hold, with why and by whom. Placing a hold on a case under hold,
 * or lifting one from a case without, records nothing: the first placing's time stays the hold's.
 */
export const decideLegalHold = (state: CaseState, cmd: LegalHoldCommand & CommandContext): E.Either<Rejection, CaseEvent[]> => {
  if (!state.facts) return E.left(unknownCase(cmd.case_id));
  const placing = cmd.command_type === 'PlaceLegalHold';
  if (placing === (state.legal_hold !== null)) return E.right([]);
  const version = state.version + 1;
  const envelope = {
    event_id: idFor(cmd.key, 'event', state.case_id, version),
    aggregate_id: state.case_id,
    timestamp: cmd.timestamp,
    version,
    metadata: eventMetadata(cmd),
  };
  return E.right([
    cmd.command_type === 'PlaceLegalHold'
      ? { ...envelope, event_type: 'LegalHoldPlaced', payload: { reason: cmd.reason, placed_by: cmd.placed_by } }
      : { ...envelope, event_type: 'LegalHoldLifted', payload: { reason: cmd.reason, lifted_by: cmd.lifted_by } },
  ]);
};
