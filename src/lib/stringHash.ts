/**
 * FNV-1a (32 bits) of a string's UTF-16 code units: fast and well spread, for spreading keys over
 * buckets. Not for anything that must resist a chosen input.
 */
export const fnv1a32 = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
};
