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
  indexes: readonly IndexSpec[],
  options: IndexOptions = {},
): Promise<void> => {
  for (const { key, constraint, ...spec } of indexes) if (constraint || !options.constraintsOnly) await collection.createIndex(key, spec);
};

export interface IndexSpec extends IndexDescription {
  readonly name: string;
  /** Enforces a rule that neither `_id` nor another index enforces (so it is needed even where no query uses an index). */
  readonly constraint?: boolean;
}

export interface IndexOptions {
  /**
   * Create only the constraints. For FerretDB v1, whose queries use no index at all: there every
   * other index only costs each insert the evaluation of its JSON expression.
   */
  readonly constraintsOnly?: boolean;
}
