import type { Db } from 'mongodb';
import { lastValueFrom } from 'rxjs';
import { ReadModelNames } from '../../domain/projections.js';
import { projectEvents } from '../../domain/projections.js';
import { eventsCollection, fromEventDocument } from './eventStore.js';
import { createMongoReadModelStore, ensureReadModelIndexes } from './readModelStore.js';

export interface ReplayProgress {
  readonly done: number;
  readonly total: number;
}

export interface ReplayResult {
  readonly events: number;
  readonly documents: Readonly<Record<string, number>>;
}

/**
 * Rebuilds every read model from `domain_events`: projects all events, stream by stream in version
 * order, into fresh `replay_<time>_<model>` collections (with their indexes), then swaps them in.
 * Reads keep working on the old collections meanwhile; the swap renames each old one aside and the
 * fresh one into its place (a rename with dropTarget is not available on FerretDB), so a read may
 * find a collection missing for a few milliseconds. Projections are deterministic: running it
 * twice gives identical read models.
 */
export const replayReadModels = async (
  db: Db,
  options: { readonly batchSize?: number; readonly onProgress?: (p: ReplayProgress) => void } = {},
): Promise<ReplayResult> => {
  const prefix = `replay_${Date.now()}_`;
  const batchSize = options.batchSize ?? 1000;
  await ensureReadModelIndexes(db, prefix);
  const store = createMongoReadModelStore(db, { collectionPrefix: prefix, maxBatch: 50 });
  const events = eventsCollection(db);
  const total = await events.countDocuments();
  let done = 0;
  let batch: ReturnType<typeof fromEventDocument>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await lastValueFrom(store.apply(projectEvents(batch)), { defaultValue: undefined });
    done += batch.length;
    batch = [];
    options.onProgress?.({ done, total });
  };
  // `_id` is the stream position (aggregate id, then the zero-padded version): each stream in order.
  for await (const doc of events.find({}).sort({ _id: 1 }).batchSize(batchSize)) {
    batch.push(fromEventDocument(doc));
    if (batch.length >= batchSize) await flush();
  }
  await flush();

  // The fresh collections exist: creating their indexes created them.
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const documents: Record<string, number> = {};
  for (const name of ReadModelNames) {
    const fresh = `${prefix}${name}`;
    documents[name] = await db.collection(fresh).countDocuments();
    const aside = `${prefix}old_${name}`;
    if (existing.has(name)) await db.collection(name).rename(aside);
    await db.collection(fresh).rename(name);
    if (existing.has(name)) await db.collection(aside).drop();
  }
  return { events: done, documents };
};
