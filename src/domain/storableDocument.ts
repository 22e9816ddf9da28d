/** How deep a value may nest and still be stored as a document (MongoDB allows 100 levels). */
export const MAX_DOCUMENT_DEPTH = 64;

/**
 * Why a JSON value cannot be stored as a document on every server casestream supports, or null
 * when it can: too deep, an array directly inside an array (FerretDB v1 refuses those), a number
 * that is not finite (JSON.parse reads `1e999` as Infinity; FerretDB refuses it), or a key that
 * starts with `$` or contains `.` or a NUL (operators and paths to MongoDB).
 */
export const unstorableBecause = (value: unknown, depth = 0, insideArray = false): string | null => {
  if (depth > MAX_DOCUMENT_DEPTH) return `nests deeper than ${MAX_DOCUMENT_DEPTH} levels`;
  if (typeof value === 'number' && !Number.isFinite(value)) return 'has a number that is not finite';
  if (Array.isArray(value)) {
    if (insideArray) return 'has an array directly inside an array';
    for (const item of value) {
      const why = unstorableBecause(item, depth + 1, true);
      if (why) return why;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    // Keys, not entries: no [key, value] pair to allocate for every field of every raw message.
    for (const key of Object.keys(value)) {
      if (key.startsWith('$') || key.includes('.') || key.includes('\u0000')) return `has a key that starts with $ or contains a dot`;
      const why = unstorableBecause((value as Record<string, unknown>)[key], depth + 1, false);
      if (why) return why;
    }
  }
  return null;
};
