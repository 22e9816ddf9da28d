import type { Observable } from 'rxjs';
import type { RetryNotificationLookup } from '../../domain/caseCommand.js';
import { emptyCase } from '../../domain/caseState.js';
import { caseCreatedTrigger, notificationRetry } from '../../domain/decideNotification.js';
import { isEventOf } from '../../domain/events.js';
import type { LookupFailureLog, LookupRetryEnd } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { OUTCOME, RULE_TRIGGER } from '../tracing/semconv.js';

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
export const recordLookupFailure =
  (log: LookupFailureLog, now: () => Date = () => new Date()): Step<CaseWork> =>
  (w) => {
    const cmd = w.command;
    if (cmd === null || w.rejection !== null) return w;
    const traced = (trigger: string, outcome: string, call: () => Observable<void>) =>
      afterDone(inStepSpan(w.trace, 'lookup failure', call, { attributes: () => ({ [RULE_TRIGGER]: trigger, [OUTCOME]: outcome }) }), w);
    if (cmd.command_type === 'CreateCase') {
      const rule = w.rule;
      if (rule?.kind !== 'unavailable') return w;
      const trigger = caseCreatedTrigger(cmd);
      return traced(trigger, 'failed', () => log.record({ case_id: cmd.case_id, trigger, reason: rule.reason, failed_at: now() }));
    }
    if (cmd.command_type !== 'RetryNotificationLookup') return w;
    const rule = w.rule;
    if (rule?.kind === 'unavailable') {
      return traced(cmd.trigger, 'failed', () =>
        log.record({ case_id: cmd.case_id, trigger: cmd.trigger, reason: rule.reason, failed_at: now() }),
      );
    }
    const end = retryEnd(w, cmd);
    return traced(cmd.trigger, end.outcome, () => log.resolve({ case_id: cmd.case_id, trigger: cmd.trigger, resolved_at: now(), ...end }));
  };
