import { sha1Words } from '../lib/sha1.js';

/** casestream's UUIDv5 namespace: a fixed random UUID. Never change it: every stored id derives from it. */
export const CASESTREAM_NAMESPACE = '4b1f3c52-6f0e-5c59-9d55-8f3f7a3b2c10';

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
// Written in place and read out as one string: concatenating pieces would leave each id a tree of
// string fragments in V8 (several times its 36 bytes, for as long as any state holds the id).
const out = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');
const putByte = (at: number, b: number): void => {
  out[at] = HEX_DIGITS[b >>> 4]!;
  out[at + 1] = HEX_DIGITS[b & 0x0f]!;
};
const putWord = (at: number, x: number, bytes: number): void => {
  for (let i = 0; i < bytes; i += 1) putByte(at + 2 * i, (x >>> (24 - 8 * i)) & 0xff);
};

const namespaceBytes = new Map<string, Uint8Array>();
const bytesOf = (uuid: string): Uint8Array => {
  let bytes = namespaceBytes.get(uuid);
  if (!bytes) namespaceBytes.set(uuid, (bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex')));
  return bytes;
};

/**
 * RFC 4122 version-5 UUID of `name` in `namespace`. Every id casestream creates is one of these,
 * derived from the message's idempotency key, so that a redelivered message creates nothing new.
 */
export const uuidV5 = (name: string, namespace: string = CASESTREAM_NAMESPACE): string => {
  const digest = sha1Words(bytesOf(namespace), name);
  const h0 = digest[0]!;
  const h1 = digest[1]!;
  const h2 = digest[2]!;
  const h3 = digest[3]!;
  // The first 16 digest bytes, with the version (5) in byte 6 and the RFC 4122 variant in byte 8.
  putWord(0, h0, 4);
  putWord(9, h1, 2);
  putByte(14, ((h1 >>> 8) & 0x0f) | 0x50);
  putByte(16, h1 & 0xff);
  putByte(19, ((h2 >>> 24) & 0x3f) | 0x80);
  putByte(21, (h2 >>> 16) & 0xff);
  putByte(24, (h2 >>> 8) & 0xff);
  putByte(26, h2 & 0xff);
  putWord(28, h3, 4);
  return out.toString('latin1', 0, 36);
};

/** The id of the thing named by `parts` within the message whose idempotency key is `key`. */
export const idFor = (key: string, ...parts: readonly (string | number)[]): string => uuidV5([key, ...parts].join('|'));
