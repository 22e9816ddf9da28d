import type { AnyBulkWriteOperation, Collection, Document, Filter, OptionalUnlessRequiredId, UpdateFilter, WithId } from 'mongodb';
import { asError } from '../../lib/errors.js';
import { documentsById } from './documentsById.js';
import { chunksOf } from './updateChunks.js';
import { isDuplicateKeyCode, itemError, perOperationErrors, writeIsolatingRefusals } from './writeErrors.js';

export interface Upsert<T extends Document> {
  readonly filter: Filter<T>;
  readonly update: UpdateFilter<T>;
  /** The whole document the upsert makes when there is none yet: tried first as a plain insert. */
  readonly insert?: OptionalUnlessRequiredId<T>;
  /**
   * With `insert`: whether the upsert would change the document that made the insert a duplicate.
   * Those that would not are skipped (a redelivery meeting its own document), after one read of
   * all of them: cheaper on FerretDB v1 than an update each, every one of which scans.
   */
  readonly changes?: (stored: WithId<T>) => boolean;
}

/**
 * Runs many callers' upserts and answers each caller on its own: its error, or undefined.
 * Documents that do not exist yet are inserted with one unordered insertMany (FerretDB v1 checks an
 * insert's uniqueness through its index, while every update scans the collection); an insert that
 * meets an existing document falls back to its upsert. Upserts go in chunks (see updateChunks). A
 * duplicate-key error on an upsert is two upserts racing to insert one document: retried once as a
 * plain update (the document exists by then, so `$setOnInsert` is dropped).
 */
export const bulkUpsert = async <T extends Document>(
  collection: Collection<T>,
  upserts: readonly Upsert<T>[],
  what: string,
): Promise<(Error | undefined)[]> => {
  const outcomes: (Error | undefined)[] = upserts.map(() => undefined);
  const inserts = upserts.flatMap((u, index) => (u.insert ? [{ index, doc: u.insert }] : []));
  const toUpsert = new Set(upserts.flatMap((u, index) => (u.insert ? [] : [index])));
  if (inserts.length > 0) {
    try {
      await writeIsolatingRefusals(
        inserts.map((i) => i.doc),
        (docs) => collection.insertMany(docs, { ordered: false, ignoreUndefined: true }),
        false,
      );
    } catch (error) {
      const writeErrors = perOperationErrors(error);
      if (writeErrors === undefined) throw error;
      for (const w of writeErrors) {
        const insert = inserts[w.index];
        if (!insert) continue;
        if (isDuplicateKeyCode(w.code)) toUpsert.add(insert.index);
        else outcomes[insert.index] = itemError(w, what);
      }
    }
  }
  const pending = (await withoutNoOps(collection, [...toUpsert], upserts)).sort((a, b) => a - b);
  // One chunk at a time: FerretDB v1 holds a connection per update statement until its command
  // ends, and concurrent update commands reaching its pool's 100 deadlock the database (docs/ferretdb.md).
  for (const chunk of chunksOf(pending)) await upsertChunk(collection, chunk, upserts, outcomes, what);
  return outcomes;
};

const upsertChunk = async <T extends Document>(
  collection: Collection<T>,
  indexes: readonly number[],
  upserts: readonly Upsert<T>[],
  outcomes: (Error | undefined)[],
  what: string,
): Promise<void> => {
  const models = indexes.map((i): AnyBulkWriteOperation<T> => ({
    updateOne: { filter: upserts[i]!.filter, update: upserts[i]!.update, upsert: true },
  }));
  if (models.length === 0) return;
  try {
    await writeIsolatingRefusals(models, (some) => collection.bulkWrite(some, { ordered: false, ignoreUndefined: true }), false);
  } catch (error) {
    const writeErrors = perOperationErrors(error);
    if (writeErrors === undefined) throw error;
    await Promise.all(
      writeErrors.map(async (w) => {
        const index = indexes[w.index];
        const u = index === undefined ? undefined : upserts[index];
        if (index === undefined || u === undefined) return;
        if (!isDuplicateKeyCode(w.code)) {
          outcomes[index] = itemError(w, what);
          return;
        }
        const { $setOnInsert: _insertOnly, ...plain } = u.update;
        try {
          await collection.updateOne(u.filter, plain as UpdateFilter<T>, { ignoreUndefined: true });
        } catch (retryError) {
          outcomes[index] = asError(retryError);
        }
      }),
    );
  }
};

/** The upserts (by index) that may change their document: those without `changes`, or whose stored document `changes` says they would. */
const withoutNoOps = async <T extends Document>(
  collection: Collection<T>,
  indexes: readonly number[],
  upserts: readonly Upsert<T>[],
): Promise<number[]> => {
  const checked = indexes.filter((i) => upserts[i]!.changes !== undefined && upserts[i]!.insert !== undefined);
  if (checked.length === 0) return [...indexes];
  const stored = await documentsById(collection, [...new Set(checked.map((i) => (upserts[i]!.insert as { _id: unknown })._id))]);
  return indexes.filter((i) => {
    const u = upserts[i]!;
    if (u.changes === undefined || u.insert === undefined) return true;
    const doc = stored.get((u.insert as { _id: unknown })._id);
    return doc === undefined || u.changes(doc);
  });
};
