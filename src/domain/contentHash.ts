import { hash } from 'node:crypto';

const NO_BYTES = new Uint8Array();
const BASE64URL = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', (c) => c.charCodeAt(0));

/** The base64url (no padding, 22 characters) of the first 16 bytes of `binary`, one byte a character. */
const base64urlOf16 = (binary: string): string => {
  const group = (at: number): number => (binary.charCodeAt(at) << 16) | (binary.charCodeAt(at + 1) << 8) | binary.charCodeAt(at + 2);
  const a = group(0);
  const b = group(3);
  const c = group(6);
  const d = group(9);
  const e = group(12);
  const last = binary.charCodeAt(15);
  const s = (x: number, shift: number): number => BASE64URL[(x >>> shift) & 63]!;
  // One line per three bytes:
  // prettier-ignore
  return String.fromCharCode(
    s(a, 18), s(a, 12), s(a, 6), s(a, 0),
    s(b, 18), s(b, 12), s(b, 6), s(b, 0),
    s(c, 18), s(c, 12), s(c, 6), s(c, 0),
    s(d, 18), s(d, 12), s(d, 6), s(d, 0),
    s(e, 18), s(e, 12), s(e, 6), s(e, 0),
    s(last, 2), s(last << 4, 0),
  );
};

/**
 * What a message's idempotency key is bound to: the first 128 bits of the SHA-256 of the record
 * value's bytes, base64url (22 characters). Exact bytes, not parsed content: a producer retrying a
 * send sends the same bytes, and anything else under the same key is a different message.
 * (The digest comes back as a string, not a Buffer: a Buffer per message doubled the cost.)
 */
export const contentHash = (bytes: Uint8Array | null): string => base64urlOf16(hash('sha256', bytes ?? NO_BYTES, 'binary'));
