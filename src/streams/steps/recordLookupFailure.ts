import { concatMap, of, type OperatorFunction } from 'rxjs';
import type { RetryNotificationLookup } from '../../domain/caseCommand.js';
import { emptyCase } from '../../domain/caseState.js';
import { caseCreatedTrigger, notificationRetry } from '../../domain/decideNotification.js';
import { isEventOf } from '../../domain/events.js';
import type { LookupFailureLog, LookupRetryEnd } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { CaseWork } from './caseWork.js';

/** How a retried lookup that got an answer ended. */
const retryEnd = (w: CaseWork, cmd: RetryNotificationLookup): LookupRetryEnd => {
  const notification = w.events.find(isEventOf('NotificationRequired'));
  if (notification) return { outcome: 'notified', event_id: notification.event_id };
  if (w.rule?.kind === 'no-rule') return { outcome: 'no-rule' };
  return {
    outcome: notificationRetry(w.state ?? emptyCase(cmd.case_id), cmd).kind === 'other-trigger' ? 'other-trigger' : 'already-notified',
  };
};

/**
 * A new case whose rule could not be looked up (the service failed and nothing was cached) is
 * remembered, so that the notification it may need is not forgotten; so is a retried lookup that
 * failed again. A retried lookup that ended (notified, no rule, nothing to do) closes the failure.
 */
export const recordLookupFailure = (log: LookupFailureLog, now: () => Date = () => new Date()): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    const cmd = w.command;
    if (cmd === null || w.rejection !== null) return of(w);
    if (cmd.command_type === 'CreateCase') {
      if (w.rule?.kind !== 'unavailable') return of(w);
      return afterDone(log.record({ case_id: cmd.case_id, trigger: caseCreatedTrigger(cmd), reason: w.rule.reason, failed_at: now() }), w);
    }
    if (cmd.command_type !== 'RetryNotificationLookup') return of(w);
    if (w.rule?.kind === 'unavailable') {
      return afterDone(log.record({ case_id: cmd.case_id, trigger: cmd.trigger, reason: w.rule.reason, failed_at: now() }), w);
    }
    return afterDone(log.resolve({ case_id: cmd.case_id, trigger: cmd.trigger, resolved_at: now(), ...retryEnd(w, cmd) }), w);
  });
