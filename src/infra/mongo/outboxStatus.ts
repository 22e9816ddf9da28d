import type { Db } from 'mongodb';
import { eventsCollection, outboxCollection } from './eventStore.js';

/** Stored NotificationRequired events not yet acknowledged by the notification topic (the outbox). */
export const countPendingNotifications = (db: Db): Promise<number> => outboxCollection(db).countDocuments();

export interface OutboxStatus {
  readonly pending: number;
  readonly published: number;
  readonly oldest_pending_since: Date | null;
}

/** How many notifications are pending and published, and since when the oldest pending one waits. */
export const outboxStatus = async (db: Db): Promise<OutboxStatus> => {
  const [pending, notifications, oldest] = await Promise.all([
    countPendingNotifications(db),
    eventsCollection(db).countDocuments({ event_type: 'NotificationRequired' }),
    outboxCollection(db)
      .find({}, { projection: { pending_since: 1 } })
      .sort({ pending_since: 1 })
      .limit(1)
      .toArray(),
  ]);
  return { pending, published: notifications - pending, oldest_pending_since: oldest[0]?.pending_since ?? null };
};
