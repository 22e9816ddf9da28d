import { murmur3x86x128, murmur3x86x128Blocks } from '../lib/murmur3.js';
import { sha256Words } from '../lib/sha256.js';

/**
 * casestream's ids: RFC 9562 version-8 UUIDs. Each is one of the ids of a message, a function of its
 * idempotency key and of the label and parts that name the thing within it, so that a redelivered
 * message creates nothing new. One digest per message, then a cheap hash per id:
 *
 * 1. Once per message, `idsFor(key)`: D = SHA-256(NAMESPACE ‖ UTF-8(key)), NAMESPACE being the 16
 *    bytes of a fixed random UUID (never change it: every stored id derives from it).
 * 2. Per id, `ids.of(label, first?, second?)`: the label and the parts as bytes, a string as its
 *    UTF-8 then 0xFF, a number as its decimal text then 0xFE. Neither byte occurs in UTF-8, so
 *    different labels and parts give different bytes.
 * 3. The id's 128 bits are the MurmurHash3_x86_128 of those bytes, its four lanes seeded with D's
 *    first four (big-endian) words, with the version (8) in bits 48-51 and the variant (binary 10)
 *    in bits 64-65.
 *
 * Whose ids: what a new case records (case, command, company, persons, beneficial owners, events,
 * notification, raw copy, document requirements) are ids of its creating message; a case command's
 * events are the command's. A case's document requirements and its notification stay ids of its
 * creating message whichever message asks for them, so that asking twice finds the same one. A
 * retried rule lookup's command id is one of the ids of its case id.
 *
 * Stable: the same key and parts give the same id on any machine, in any run (SHA-256 and integer
 * arithmetic). Unique: different keys give independent digests, so two messages' ids meet as
 * rarely as two random 122-bit values; within a message different parts are different bytes,
 * which the well-mixed 128-bit hash keeps apart with the same odds. The parts are casestream's
 * labels, numbers and its own ids (a notification's trigger is not one: a case raises only one),
 * so no client can vary a part within a message to search for a collision; across messages it
 * chooses only keys, whose seeds SHA-256 makes unpredictable.
 */

const NAMESPACE = Buffer.from('4b1f3c526f0e5c599d558f3f7a3b2c10', 'hex');
const STRING_END = 0xff;
const NUMBER_END = 0xfe;

const encoder = new TextEncoder();
let bytes = new Uint8Array(256);

/** Writes `text` as UTF-8 at `at`, then `end`; returns where the next part starts. */
const put = (text: string, at: number, end: number): number => {
  const need = at + text.length * 3 + 1;
  if (bytes.length < need) {
    const bigger = new Uint8Array(need * 2);
    bigger.set(bytes.subarray(0, at));
    bytes = bigger;
  }
  const b = bytes;
  let i = 0;
  // ASCII, nearly every part, byte by byte: TextEncoder costs more than these few characters.
  for (; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    b[at + i] = c;
  }
  const written = i === text.length ? i : encoder.encodeInto(text, b.subarray(at)).written;
  b[at + written] = end;
  return at + written + 1;
};

const putPart = (part: string | number, at: number): number =>
  typeof part === 'string' ? put(part, at, STRING_END) : put(String(part), at, NUMBER_END);

const HEX_DIGITS = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DASH = 0x2d;
const hex = (x: number): number => HEX_DIGITS[x & 0x0f]!;

/**
 * The UUIDv8 whose 128 bits are the words a, b, c, d (big-endian), with its version and variant
 * set. One fromCharCode makes one flat string: concatenating pieces would leave each id a tree of
 * string fragments in V8 (several times its 36 bytes, for as long as any state holds the id).
 */
const uuidV8 = (a: number, word1: number, word2: number, d: number): string => {
  const b = (word1 & ~0xf000) | 0x8000;
  const c = (word2 & 0x3fffffff) | 0x80000000;
  // One line per group of the UUID, not one per character:
  // prettier-ignore
  return String.fromCharCode(
    hex(a >>> 28), hex(a >>> 24), hex(a >>> 20), hex(a >>> 16), hex(a >>> 12), hex(a >>> 8), hex(a >>> 4), hex(a), DASH,
    hex(b >>> 28), hex(b >>> 24), hex(b >>> 20), hex(b >>> 16), DASH, hex(b >>> 12), hex(b >>> 8), hex(b >>> 4), hex(b), DASH,
    hex(c >>> 28), hex(c >>> 24), hex(c >>> 20), hex(c >>> 16), DASH, hex(c >>> 12), hex(c >>> 8), hex(c >>> 4), hex(c),
    hex(d >>> 28), hex(d >>> 24), hex(d >>> 20), hex(d >>> 16), hex(d >>> 12), hex(d >>> 8), hex(d >>> 4), hex(d),
  );
};

/** The ids of what one message creates: made once per message, passed to what decides for it. */
export interface MessageIds {
  /** The message's idempotency key. */
  readonly key: string;
  /**
   * The id of the thing a label and at most two parts name within the message, e.g.
   * `of('person', 0)` or `of('event', case_id, version)`; `second` counts only after a `first`.
   * (Two parameters rather than a rest list: no array per id.)
   */
  of(label: string, first?: string | number, second?: string | number): string;
  /**
   * `of(label, first, second)` for many a `second`, the label and first part hashed once: the
   * events of one aggregate, by version (worth it from a few ids on: a series costs about two).
   */
  series(label: string, first: string | number): (second: string | number) => string;
}

class DigestIds implements MessageIds {
  constructor(
    readonly key: string,
    private readonly s1: number,
    private readonly s2: number,
    private readonly s3: number,
    private readonly s4: number,
  ) {}

  of(label: string, first?: string | number, second?: string | number): string {
    let at = put(label, 0, STRING_END);
    if (first !== undefined) {
      at = putPart(first, at);
      if (second !== undefined) at = putPart(second, at);
    }
    const h = murmur3x86x128(bytes, at, this.s1, this.s2, this.s3, this.s4);
    return uuidV8(h[0]!, h[1]!, h[2]!, h[3]!);
  }

  series(label: string, first: string | number): (second: string | number) => string {
    const prefix = putPart(first, put(label, 0, STRING_END));
    const hashed = prefix & ~15;
    const lanes = murmur3x86x128Blocks(bytes, hashed, this.s1, this.s2, this.s3, this.s4);
    const l1 = lanes[0]!;
    const l2 = lanes[1]!;
    const l3 = lanes[2]!;
    const l4 = lanes[3]!;
    // The prefix's last partial block, hashed again with each second part.
    const rest = bytes.slice(hashed, prefix);
    return (second) => {
      bytes.set(rest, 0);
      const h = murmur3x86x128(bytes, putPart(second, rest.length), l1, l2, l3, l4, hashed);
      return uuidV8(h[0]!, h[1]!, h[2]!, h[3]!);
    };
  }
}

/** The ids of the message whose idempotency key is `key`: its one SHA-256. */
export const idsFor = (key: string): MessageIds => {
  const d = sha256Words(NAMESPACE, key);
  return new DigestIds(key, d[0]!, d[1]!, d[2]!, d[3]!);
};

/**
 * One id of the message whose idempotency key is `key`, for a caller that needs only one; whatever
 * creates several ids for a message makes its `idsFor(key)` once instead.
 */
export const idFor = (key: string, label: string, first?: string | number, second?: string | number): string =>
  idsFor(key).of(label, first, second);
