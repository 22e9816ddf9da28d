import type { CaseState } from './caseState.js';
import type { Command } from './commands.js';
import { notificationId, notificationRetry } from './decideNotification.js';
import { contentDiffers } from './keyReuse.js';

/** A notification a case recorded, and where its stream holds it: what an outbox entry points at. */
export interface RecordedNotification {
  readonly event_id: string;
  readonly aggregate_id: string;
  readonly version: number;
}

const NONE: readonly RecordedNotification[] = [];

/** The id of the notification a message is about: a creation's own, a retried lookup's when the case has it. */
const notificationAbout = (state: CaseState, cmd: Command): string | null => {
  if (cmd.command_type === 'CreateCase') return notificationId(cmd.ids);
  if (cmd.command_type !== 'RetryNotificationLookup') return null;
  const retry = notificationRetry(state, cmd);
  return retry.kind === 'already-notified' ? retry.event_id : null;
};

/**
 * The notifications a message finds recorded on its case when it is about them: a redelivered
 * creation, a retried lookup of a case notified already. Such a message decides nothing, yet a
 * crash between the append of the notification and the write of its outbox entry may have left it
 * stored with nothing to publish it: the message puts it back in the outbox (a copy more on the
 * notification topic when it was published; consumers deduplicate on event_id). Nothing for a first
 * delivery, any other message, or one refused for reusing a key. Pure.
 */
export const notificationsToRequeue = (state: CaseState, cmd: Command): readonly RecordedNotification[] => {
  // Most cases have no notification: nothing to work out.
  if (state.notificationVersions.size === 0 || contentDiffers(state.recordedKeys.get(cmd.key)?.hash, cmd.content_hash)) return NONE;
  const event_id = notificationAbout(state, cmd);
  const version = event_id === null ? undefined : state.notificationVersions.get(event_id);
  return event_id === null || version === undefined ? NONE : [{ event_id, aggregate_id: state.case_id, version }];
};
