import { isEventOf, type NotificationRequired } from '../../domain/events.js';
import type { NotificationPublisher } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { EVENT_COUNT } from '../tracing/semconv.js';

/** The notifications among a message's events, in version order. */
export const notificationsOf = (w: CaseWork): NotificationRequired[] => w.events.filter(isEventOf('NotificationRequired'));

/**
 * Publishes the message's notifications right after they are stored (the fast path of the outbox).
 * A redelivery's (some of its events were stored before) are left to the outbox relay, which
 * publishes them again as stored: the decided copy may name a person erased since, whose stored
 * copy is masked. Consumers deduplicate on event_id.
 */
export const publishNotifications =
  (publisher: NotificationPublisher): Step<CaseWork> =>
  (w) => {
    const notifications = notificationsOf(w);
    if (notifications.length === 0 || w.duplicates > 0) return w;
    const published = inStepSpan(w.trace, 'publish notifications', () => publisher.publish(notifications), {
      attributes: () => ({ [EVENT_COUNT]: notifications.length }),
    });
    return afterDone(published, w);
  };
