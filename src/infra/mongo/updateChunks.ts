/**
 * The most update operations casestream sends in one command. FerretDB v1.24 (SQLite) never answers
 * an update command carrying 100 or more updates of existing documents (seen here: 99 take 0.2 s,
 * 100 hang until the socket times out), so bulk updates go in chunks well below that; MongoDB
 * takes any size, and the chunks cost it nothing.
 */
export const MAX_UPDATES_PER_COMMAND = 50;

/** `items` in consecutive chunks of at most `size`. */
export const chunksOf = <T>(items: readonly T[], size: number = MAX_UPDATES_PER_COMMAND): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
