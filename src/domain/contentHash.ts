import { createHash } from 'node:crypto';

/**
 * What a message's idempotency key is bound to: the first 128 bits of the SHA-256 of the record
 * value's bytes, base64url (22 characters). Exact bytes, not parsed content: a producer retrying a
 * send sends the same bytes, and anything else under the same key is a different message.
 */
export const contentHash = (bytes: Uint8Array | null): string =>
  createHash('sha256')
    .update(bytes ?? new Uint8Array())
    .digest()
    .subarray(0, 16)
    .toString('base64url');
