import type { AnyBulkWriteOperation, Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { isDuplicateKeyCode, itemError, perOperationErrors } from './writeErrors.js';

export interface Upsert<T extends Document> {
  readonly filter: Filter<T>;
  readonly update: UpdateFilter<T>;
}

/**
 * Runs many callers' upserts as one unordered bulkWrite and answers each caller on its own: its
 * error, or undefined. A duplicate-key error is two upserts racing to insert one document: retried
 * once as a plain update (the document exists by then, so `$setOnInsert` is dropped).
 */
export const bulkUpsert = async <T extends Document>(collection: Collection<T>, upserts: readonly Upsert<T>[], what: string): Promise<(Error | undefined)[]> => {
  const outcomes: (Error | undefined)[] = upserts.map(() => undefined);
  const models = upserts.map((u): AnyBulkWriteOperation<T> => ({ updateOne: { filter: u.filter, update: u.update, upsert: true } }));
  try {
    await collection.bulkWrite(models, { ordered: false, ignoreUndefined: true });
  } catch (error) {
    const writeErrors = perOperationErrors(error);
    if (writeErrors === undefined) throw error;
    await Promise.all(
      writeErrors.map(async (w) => {
        const u = upserts[w.index];
        if (u === undefined) return;
        if (!isDuplicateKeyCode(w.code)) {
          outcomes[w.index] = itemError(w, what);
          return;
        }
        const { $setOnInsert: _insertOnly, ...plain } = u.update;
        try {
          await collection.updateOne(u.filter, plain as UpdateFilter<T>, { ignoreUndefined: true });
        } catch (retryError) {
          outcomes[w.index] = retryError instanceof Error ? retryError : new Error(String(retryError));
        }
      }),
    );
  }
  return outcomes;
};
