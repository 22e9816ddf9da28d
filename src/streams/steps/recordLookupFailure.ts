import { concatMap, of, type OperatorFunction } from 'rxjs';
import { caseCreatedTrigger } from '../../domain/decideNotification.js';
import type { LookupFailureLog } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { CaseWork } from './caseWork.js';

/**
 * A new case whose rule could not be looked up (the service failed and nothing was cached) is
 * remembered, so that the notification it may need is not forgotten.
 */
export const recordLookupFailure = (log: LookupFailureLog, now: () => Date = () => new Date()): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    if (w.command?.command_type !== 'CreateCase' || w.rule?.kind !== 'unavailable' || w.rejection !== null) return of(w);
    return afterDone(
      log.record({ case_id: w.command.case_id, trigger: caseCreatedTrigger(w.command), reason: w.rule.reason, failed_at: now() }),
      w,
    );
  });
