import { sha1Words } from './sha1.js';

/** casestream's UUIDv5 namespace: a fixed random UUID. Never change it: every stored id derives from it. */
export const CASESTREAM_NAMESPACE = '4b1f3c52-6f0e-5c59-9d55-8f3f7a3b2c10';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hexWord = (x: number): string => HEX[(x >>> 24) & 0xff]! + HEX[(x >>> 16) & 0xff]! + HEX[(x >>> 8) & 0xff]! + HEX[x & 0xff]!;

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
  const timeHigh = HEX[((h1 >>> 8) & 0x0f) | 0x50]! + HEX[h1 & 0xff]!;
  const clockSeq = HEX[((h2 >>> 24) & 0x3f) | 0x80]! + HEX[(h2 >>> 16) & 0xff]!;
  return `${hexWord(h0)}-${hexWord(h1).slice(0, 4)}-${timeHigh}-${clockSeq}-${HEX[(h2 >>> 8) & 0xff]!}${HEX[h2 & 0xff]!}${hexWord(h3)}`;
};

/** The id of the thing named by `parts` within the message whose idempotency key is `key`. */
export const idFor = (key: string, ...parts: readonly (string | number)[]): string => uuidV5([key, ...parts].join('|'));
