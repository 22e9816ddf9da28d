import { createHash } from 'node:crypto';

/** casestream's UUIDv5 namespace: a fixed random UUID. Never change it: every stored id derives from it. */
export const CASESTREAM_NAMESPACE = '4b1f3c52-6f0e-5c59-9d55-8f3f7a3b2c10';

const toBytes = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ''), 'hex');

/**
 * RFC 4122 version-5 UUID of `name` in `namespace`. Every id casestream creates is one of these,
 * derived from the message's idempotency key, so that a redelivered message creates nothing new.
 */
export const uuidV5 = (name: string, namespace: string = CASESTREAM_NAMESPACE): string => {
  const hash = createHash('sha1').update(toBytes(namespace)).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** The id of the thing named by `parts` within the message whose idempotency key is `key`. */
export const idFor = (key: string, ...parts: readonly (string | number)[]): string => uuidV5([key, ...parts].join('|'));
