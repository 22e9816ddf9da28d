import type { NotificationOutbox } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { EVENT_COUNT } from '../tracing/semconv.js';

/**
 * Puts the recorded notifications a redelivered message is about back in the outbox (see
 * notificationsToRequeue), for the relay to publish as stored: never the copy decided now, which may
 * name a person erased since. A failure fails the message, which is retried like any other.
 */
export const requeueNotifications =
  (outbox: NotificationOutbox): Step<CaseWork> =>
  (w) => {
    if (w.requeue.length === 0 || w.rejection !== null) return w;
    const requeued = inStepSpan(w.trace, 'requeue notifications', () => outbox.requeue(w.requeue), {
      attributes: () => ({ [EVENT_COUNT]: w.requeue.length }),
    });
    return afterDone(requeued, w);
  };
