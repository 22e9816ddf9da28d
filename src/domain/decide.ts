import * as E from 'fp-ts/lib/Either.js';
import type { CaseState } from './caseState.js';
import type { Command, CreateCase } from './commands.js';
import { decideCaseCreation } from './decideCaseCreation.js';
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
    const lastCaseVersion = events.filter((e) => e.aggregate_id === cmd.case_id).length;
    return rule ? [...events, decideNotification(cmd, rule, lastCaseVersion)] : events;
  }
  if (!rule) return [];
  const notification = decideNotification(cmd, rule, state.version);
  return state.notificationIds.has(notification.event_id) ? [] : [notification];
};

/**
 * state + command → the events to record, or why the command is refused. Pure.
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
): E.Either<Rejection, DomainEvent[]> => {
  const recorded = state.contentHashes.has(cmd.key);
  if (recorded && contentDiffers(state.contentHashes.get(cmd.key), cmd.content_hash)) return E.left(keyReused());
  if (cmd.command_type === 'CreateCase') return E.right(decideCreate(state, cmd, rule));
  if (recorded) return E.right([]);
  return cmd.command_type === 'RetryNotificationLookup'
    ? decideNotificationRetry(state, cmd, rule)
    : decideCaseCommand(state, cmd, maxNotesPerDocument);
};
