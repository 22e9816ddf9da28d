import { rejection, type Rejection } from './rejection.js';

/** The reason a message is refused when its idempotency key already stands for other content. */
export const KEY_REUSED_REASON = 'message-id reused for different content';

export const keyReused = (): Rejection =>
  rejection(KEY_REUSED_REASON, [{ path: 'headers.message-id', rule: 'must not be reused for a message with different content' }]);

export const isKeyReused = (reason: string | null): boolean => reason === KEY_REUSED_REASON;

/**
 * Whether content stored under a key and content arriving under it differ. A hash that is not
 * known (events stored before keys were bound to content) is accepted as the same.
 */
export const contentDiffers = (stored: string | undefined, incoming: string | undefined): boolean =>
  stored !== undefined && incoming !== undefined && stored !== incoming;
