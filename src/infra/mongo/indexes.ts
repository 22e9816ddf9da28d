import type { Collection, Document, IndexDescription } from 'mongodb';

/**
 * Creates indexes one `createIndexes` command per index, one after the other; an index that
 * already exists with the same name and key is left alone, so this is safe at every startup.
 *
 * Why not one `createIndexes` with the whole list: FerretDB v1.24 panics (the connection is closed:
 * "runtime error: slice bounds out of range") when a single command re-requests two or more indexes
 * that already exist — handler/msg_createindexes.go, validateIndexesForCreation, deletes from the
 * slice it is indexing by position. One index per command never hits it, and costs a few round
 * trips at startup only. Sequential rather than parallel to keep FerretDB's metadata updates apart.
 */
export const ensureIndexList = async <T extends Document>(
  collection: Collection<T>,
  indexes: readonly (IndexDescription & { name: string })[],
): Promise<void> => {
  for (const { key, ...options } of indexes) await collection.createIndex(key, options);
};
