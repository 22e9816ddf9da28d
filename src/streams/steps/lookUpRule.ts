import { concatMap, map, of, take, type OperatorFunction } from 'rxjs';
import { emptyCase, type CaseState } from '../../domain/caseState.js';
import type { Command } from '../../domain/commands.js';
import { caseCreatedTrigger, notificationRetry, ruleContext } from '../../domain/decideNotification.js';
import type { RuleLookup } from '../ports.js';
import type { CaseWork } from './caseWork.js';

/** The rule question a command asks, or null: a new case, or a retried lookup the case still needs. */
const questionOf = (command: Command | null, state: CaseState | null): Parameters<RuleLookup['ruleFor']> | null => {
  if (command?.command_type === 'CreateCase') return [caseCreatedTrigger(command), ruleContext(command)];
  if (command?.command_type !== 'RetryNotificationLookup') return null;
  const retry = notificationRetry(state ?? emptyCase(command.case_id), command);
  return retry.kind === 'ask' ? [command.trigger, ruleContext(retry.subject)] : null;
};

/**
 * Asks which notification rule applies to a new case, or to a case whose lookup is retried (not
 * when the case is unknown, has the notification or raised another trigger); other messages pass untouched.
 */
export const lookUpRule = (rules: RuleLookup): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    const question = w.rule === null ? questionOf(w.command, w.state) : null;
    if (question === null) return of(w);
    return rules.ruleFor(...question).pipe(
      take(1),
      map((rule) => ({ ...w, rule })),
    );
  });
