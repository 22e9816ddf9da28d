import * as E from 'fp-ts/lib/Either.js';
import type { CaseState } from './caseState.js';
import type { Command, CreateCase } from './commands.js';
import { decideCaseCreation } from './decideCaseCreation.js';
import { decideCaseCommand } from './decideDocumentCommands.js';
import { decideNotification } from './decideNotification.js';
import type { DomainEvent } from './events.js';
import type { NotificationRule } from './notificationRule.js';
import type { Rejection } from './rejection.js';

/**
 * Creating a case. On a case not yet seen the whole creation is decided, plus the notification an
 * active rule asks for after the case's last event. On a case already stored (a redelivery whose
 * stream has moved on) only a notification still missing is decided, after the stored version.
 */
const decideCreate = (state: CaseState, cmd: CreateCase, rule: NotificationRule | null): DomainEvent[] => {
  if (state.version === 0) {
    const events = decideCaseCreation(cmd);
    const lastCaseVersion = events.filter((e) => e.aggregate_id === cmd.case_id).length;
    return rule ? [...events, decideNotification(cmd, rule, lastCaseVersion)] : events;
  }
  if (!rule) return [];
  const notification = decideNotification(cmd, rule, state.version);
  return state.notificationIds.has(notification.event_id) ? [] : [notification];
};

/** state + command → the events to record, or why the command is refused. Pure. */
export const decide = (state: CaseState, cmd: Command, rule: NotificationRule | null): E.Either<Rejection, DomainEvent[]> =>
  cmd.command_type === 'CreateCase' ? E.right(decideCreate(state, cmd, rule)) : decideCaseCommand(state, cmd);
