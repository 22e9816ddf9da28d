/**
 * SHA-1 of short inputs in plain JavaScript. Every event and entity id is a UUIDv5 (a SHA-1), about
 * twenty per message; node:crypto costs ~2.5 µs a call in allocation and native round trips, this
 * ~0.6 µs, which the operator benchmark's profile showed to matter. Not for security, only for ids;
 * the unit tests check it against node:crypto.
 */
const schedule = new Int32Array(80);
let padded = new Uint8Array(256);
const encoder = new TextEncoder();
const digest = new Int32Array(5);

/**
 * The 20-byte SHA-1 digest of `prefix` followed by `text` as UTF-8, as five big-endian words, in
 * an array the next call overwrites (read it at once; no allocation per id).
 */
export const sha1Words = (prefix: Uint8Array, text: string): Int32Array => {
  const worstCase = prefix.length + text.length * 3 + 72;
  if (padded.length < worstCase) padded = new Uint8Array(worstCase * 2);
  padded.set(prefix, 0);
  const length = prefix.length + encoder.encodeInto(text, padded.subarray(prefix.length)).written;
  const total = (((length + 8) >> 6) + 1) << 6;
  padded[length] = 0x80;
  padded.fill(0, length + 1, total);
  const bits = length * 8;
  padded[total - 4] = bits >>> 24;
  padded[total - 3] = (bits >>> 16) & 0xff;
  padded[total - 2] = (bits >>> 8) & 0xff;
  padded[total - 1] = bits & 0xff;

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  const w = schedule;
  for (let block = 0; block < total; block += 64) {
    for (let i = 0; i < 16; i++) {
      const j = block + i * 4;
      w[i] = (padded[j]! << 24) | (padded[j + 1]! << 16) | (padded[j + 2]! << 8) | padded[j + 3]!;
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // The four rounds as separate loops keep each loop body branch-free.
    for (let i = 0; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 20; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 40; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 60; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  digest[0] = h0;
  digest[1] = h1;
  digest[2] = h2;
  digest[3] = h3;
  digest[4] = h4;
  return digest;
};
