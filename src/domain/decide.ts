import * as E from 'fp-ts/lib/Either.js';
import type { CaseState } from './caseState.js';
import type { Command, CreateCase } from './commands.js';
import { caseIsClosed, decideCaseClosing } from './decideCaseClosing.js';
import { decideCaseCreation } from './decideCaseCreation.js';
import { afterErasures, decideErasure } from './decideErasure.js';
import { decideLegalHold } from './decideLegalHold.js';
import { decideCaseCommand } from './decideDocumentCommands.js';
import { decideNotification, decideNotificationRetry } from './decideNotification.js';
import type { DomainEvent } from './events.js';
import { contentDiffers, keyReused } from './keyReuse.js';
import type { FoundRule } from './notificationRule.js';
import type { Rejection } from './rejection.js';

/**
 * Creating a case. On a case not yet seen the whole creation is decided, plus the notification an
 * active rule asks for after the case's last event. On a case already stored (a redelivery whose
 * stream has moved on) only a notification still missing is decided, after the stored version.
 */
const decideCreate = (state: CaseState, cmd: CreateCase, rule: FoundRule | null): DomainEvent[] => {
  if (state.version === 0) {
    const events = decideCaseCreation(cmd);
    if (!rule) return events;
    let lastCaseVersion = 0;
    for (const e of events) if (e.aggregate_id === cmd.case_id) lastCaseVersion = e.version;
    events.push(decideNotification(cmd, rule, lastCaseVersion));
    return events;
  }
  if (!rule) return [];
  const notification = decideNotification(afterErasures(state, cmd), rule, state.version);
  return state.notificationVersions.has(notification.event_id) ? [] : [notification];
};

const NONE: ReadonlySet<string> = new Set();

/**
 * state + command → the events to record, or why the command is refused. Pure. `beneficialOwners`:
 * the ids of the case company's beneficial owners, which an erasure of one needs (lookUpBeneficialOwners).
 *
 * A message whose key the case has recorded is a redelivery when its content is the same (a case
 * command then records nothing again, whatever happened to the case since), and a refusal when it
 * is not: the key stands for the content it first came with.
 */
export const decide = (
  state: CaseState,
  cmd: Command,
  rule: FoundRule | null,
  maxNotesPerDocument?: number,
  beneficialOwners: ReadonlySet<string> = NONE,
): E.Either<Rejection, DomainEvent[]> => {
  const recorded = state.recordedKeys.get(cmd.key);
  if (recorded && contentDiffers(recorded.hash, cmd.content_hash)) return E.left(keyReused());
  if (cmd.command_type === 'CreateCase') return E.right(decideCreate(state, cmd, rule));
  if (recorded) return E.right([]);
  if (cmd.command_type === 'RetryNotificationLookup') return decideNotificationRetry(state, cmd, rule);
  if (cmd.command_type === 'CloseCase') return decideCaseClosing(state, cmd);
  // A closed case may still be held, and erased once its retention is over.
  if (cmd.command_type === 'EraseSubject') return decideErasure(state, cmd, beneficialOwners);
  if (cmd.command_type === 'PlaceLegalHold' || cmd.command_type === 'LiftLegalHold') return decideLegalHold(state, cmd);
  // A closed case's record is final: its documents change no more.
  return state.closed_at !== null ? E.left(caseIsClosed(state)) : decideCaseCommand(state, cmd, maxNotesPerDocument);
};
