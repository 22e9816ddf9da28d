/**
 * MurmurHash3_x86_128 (Austin Appleby's, public domain) with a 128-bit seed: each of its four
 * 32-bit lanes starts from its own seed word, where the original starts all four from one (equal
 * seed words give the original's result; the unit tests check it against the reference). A fast,
 * well-mixed hash of short byte strings, made with Math.imul only; not a cryptographic one.
 */
const C1 = 0x239b961b;
const C2 = 0xab0e9789 | 0;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93 | 0;
const hash = new Int32Array(4);

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

const fmix = (x: number): number => {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};

/** The little-endian 32-bit word at `at`. */
const word = (bytes: Uint8Array, at: number): number =>
  bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);

/** The little-endian word at `at` of the bytes before `end`, zero-filled past it (the reference's tail). */
const tailWord = (bytes: Uint8Array, at: number, end: number): number => {
  let w = 0;
  for (let i = Math.min(end, at + 4) - 1; i >= at; i--) w = (w << 8) | bytes[i]!;
  return w;
};

/** Hashes the 16-byte blocks of bytes[0, whole) into the lanes, which start from s1..s4; leaves them in `hash`. */
const absorb = (bytes: Uint8Array, whole: number, s1: number, s2: number, s3: number, s4: number): void => {
  let h1 = s1 | 0;
  let h2 = s2 | 0;
  let h3 = s3 | 0;
  let h4 = s4 | 0;
  for (let at = 0; at < whole; at += 16) {
    h1 ^= Math.imul(rotl(Math.imul(word(bytes, at), C1), 15), C2);
    h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(word(bytes, at + 4), C2), 16), C3);
    h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(word(bytes, at + 8), C3), 17), C4);
    h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(word(bytes, at + 12), C4), 18), C1);
    h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
  }
  hash[0] = h1;
  hash[1] = h2;
  hash[2] = h3;
  hash[3] = h4;
};

/**
 * The four lanes after the whole 16-byte blocks of the first `length` bytes of `bytes`, from the
 * seed (s1, s2, s3, s4), in an array the next call overwrites: give them to murmur3x86x128 with
 * `hashedBefore` to hash what follows those blocks, and a prefix that many inputs share is hashed once.
 */
export const murmur3x86x128Blocks = (bytes: Uint8Array, length: number, s1: number, s2: number, s3: number, s4: number): Int32Array => {
  absorb(bytes, length & ~15, s1, s2, s3, s4);
  return hash;
};

/**
 * The hash of the first `length` bytes of `bytes` under the seed (s1, s2, s3, s4), as its four
 * 32-bit words h1..h4 in an array the next call overwrites (read it at once). With `hashedBefore`
 * (a multiple of 16), s1..s4 are the lanes murmur3x86x128Blocks left after that many bytes, and the
 * result is the hash of those bytes followed by these.
 */
export const murmur3x86x128 = (
  bytes: Uint8Array,
  length: number,
  s1: number,
  s2: number,
  s3: number,
  s4: number,
  hashedBefore = 0,
): Int32Array => {
  const whole = length & ~15;
  absorb(bytes, whole, s1, s2, s3, s4);
  let h1 = hash[0]!;
  let h2 = hash[1]!;
  let h3 = hash[2]!;
  let h4 = hash[3]!;
  if (whole < length) {
    // A zero word adds nothing, as the reference's tail skips the words past the end.
    h1 ^= Math.imul(rotl(Math.imul(tailWord(bytes, whole, length), C1), 15), C2);
    h2 ^= Math.imul(rotl(Math.imul(tailWord(bytes, whole + 4, length), C2), 16), C3);
    h3 ^= Math.imul(rotl(Math.imul(tailWord(bytes, whole + 8, length), C3), 17), C4);
    h4 ^= Math.imul(rotl(Math.imul(tailWord(bytes, whole + 12, length), C4), 18), C1);
  }
  const total = hashedBefore + length;
  h1 ^= total;
  h2 ^= total;
  h3 ^= total;
  h4 ^= total;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  hash[0] = h1;
  hash[1] = (h2 + h1) | 0;
  hash[2] = (h3 + h1) | 0;
  hash[3] = (h4 + h1) | 0;
  return hash;
};
