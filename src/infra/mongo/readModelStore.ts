import { isDeepStrictEqual } from 'node:util';
import type { Context } from '@opentelemetry/api';
import type { AnyBulkWriteOperation, Collection, Db, Document, Filter, UpdateFilter } from 'mongodb';
import { map, of } from 'rxjs';
import { appliedField, applyWrite, ReadModelNames, type ReadModelName, type ReadModelWrite } from '../../domain/projections.js';
import type { ReadModelStore } from '../../streams/ports.js';
import { createMicroBatcher } from '../../lib/microBatcher.js';
import { createdDocument } from './createdDocument.js';
import { documentsById } from './documentsById.js';
import { ensureIndexList, type IndexOptions } from './indexes.js';
import { chunksOf } from './updateChunks.js';
import { isDuplicateKeyCode, itemError, perOperationErrors, writeIsolatingRefusals } from './writeErrors.js';
import { callerContext, tracedBatch } from '../telemetry/batchSpan.js';
import { failedParts, mongoBatchSpan } from './batchSpans.js';

export interface MongoReadModelStoreOptions {
  /** The most `apply` calls (callers) gathered into one round of bulkWrites (default 200). */
  readonly maxBatch?: number;
  /** How long an apply waits for company before its batch starts (default 0: the next macrotask). */
  readonly maxWaitMs?: number;
  /** Written to `<prefix><read model>` instead (a replay builds fresh collections this way). */
  readonly collectionPrefix?: string;
  /**
   * Where a guarded write's guard is checked: `server` (default), in the update's filter, atomic
   * on MongoDB; `client`, against the documents read first, the update then filtered by `_id`
   * alone. For FerretDB v1, which evaluates a guarded filter by decoding every document of the
   * collection in Go (the bench's profile: 71 % of FerretDB's CPU) but scans a bare `_id` filter
   * inside SQLite, ~10x cheaper; its updates read, apply and replace anyway, so the server-side
   * guard was no more atomic there. Case actors are the only writers of their documents.
   */
  readonly guards?: 'server' | 'client';
}

/**
 * Unique `id` on every read model (`_id` is the id too, so this serves lookups by `id` and is no
 * constraint of its own) plus the indexes behind the REST API's queries; creating them again is a
 * no-op.
 */
export const ensureReadModelIndexes = async (db: Db, collectionPrefix = '', options: IndexOptions = {}): Promise<void> => {
  const extra: Partial<Record<ReadModelName, { key: Record<string, 1 | -1>; name: string }[]>> = {
    cases: [{ key: { created_at: -1 }, name: 'created_at_desc' }],
    persons: [{ key: { case_id: 1 }, name: 'case_id' }],
    beneficial_owners: [{ key: { company_id: 1 }, name: 'company_id' }],
    document_requirements: [{ key: { case_id: 1, entity_id: 1, status: 1 }, name: 'case_entity_status' }],
  };
  for (const name of ReadModelNames) {
    await ensureIndexList(
      db.collection(`${collectionPrefix}${name}`),
      [{ key: { id: 1 }, name: 'id_unique', unique: true }, ...(extra[name] ?? [])],
      options,
    );
  }
};

/** A read-model document as stored: `_id` is its `id`. */
export interface ReadModelDocument extends Document {
  _id: string;
}

/** One ReadModelWrite as a MongoDB update. */
export interface ReadModelUpdate {
  readonly filter: Filter<ReadModelDocument>;
  readonly update: UpdateFilter<ReadModelDocument>;
  readonly upsert: boolean;
}

/**
 * FerretDB v1 silently skips `$setOnInsert` fields whose value is null or an empty array
 * (internal/handler/common/update.go, processSetFieldExpression: "$setOnInsert do not set null and
 * empty array value"), so `{$setOnInsert: {company_id: null, notes: []}}` inserts neither field
 * there, while MongoDB sets both. Such fields are written with `$max` instead, on both servers:
 * `$max` sets a missing field, and null / [] are the lowest values of their BSON type order, so it
 * never replaces a stored null, number, string or array of the same role. Two differences from
 * `$setOnInsert`, both harmless for read models whose onInsert fields always exist after the insert:
 * it also fills the field on an existing document that lacks it, and `[]` replaces a stored value of
 * a lower BSON type (null, number, string, object).
 */
const droppedByFerretSetOnInsert = (value: unknown): boolean => value === null || (Array.isArray(value) && value.length === 0);

const overlaps = (a: string, b: string): boolean => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/**
 * The update that carries out one write, or undefined when it changes nothing.
 *
 * - filter `{_id: id}`: read-model documents are stored with `_id` = their `id` (and `id` itself,
 *   unique-indexed, for the API). FerretDB v1.24 / SQLite uses no index for any query (its `_id`
 *   pushdown and its `_id` index use different JSON expressions, so SQLite scans; other filters are
 *   not pushed down at all and are evaluated on every decoded document in Go). A filter that is
 *   exactly `{_id: <string>}` is at least scanned inside SQLite, ~10x cheaper: measured, 300
 *   inserting upserts into a collection of 2,700 documents took ~3 s by `_id` against ~39 s by
 *   `id`. A guarded filter has a second condition, so it takes the slow path there: guarded writes
 *   (one per document status change) are the expensive ones on FerretDB v1. On MongoDB both are
 *   index lookups.
 *   With a guard also "the version recorded for this stream is missing or below the
 *   event's", written `$or: [{f: {$exists: false}}, {f: {$lt: v}}]` (works on MongoDB 6/7 and on
 *   FerretDB v1; `{f: {$not: {$gte: v}}}` means the same on both), and no upsert: a guarded write
 *   changes an existing document only. Without a guard, `upsert: true`.
 * - `$setOnInsert` from `onInsert` plus `id` (unguarded writes only: without upsert it could never
 *   apply); null and empty-array values go to `$max` instead (see droppedByFerretSetOnInsert). Paths that `$set` or `$push` also write (or a parent/child of them) are left out of
 *   `$setOnInsert`: both servers refuse an update whose operators touch overlapping paths, and
 *   on insert the `$set`/`$push` value is the one that would survive anyway.
 * - `$set` from `set`, `$push: {field: {$each: values}}` from `push`, `$max` from `max`; empty
 *   operators are omitted.
 */
export const toReadModelUpdate = (w: ReadModelWrite): ReadModelUpdate | undefined => {
  const set = { ...w.set };
  const push = Object.fromEntries(
    Object.entries(w.push ?? {})
      .filter(([, values]) => values.length > 0)
      .map(([field, values]) => [field, { $each: [...values] }]),
  );
  const max = { ...w.max };
  const written = [...Object.keys(set), ...Object.keys(push), ...Object.keys(max)];
  const update: Document = {};
  if (w.guard === undefined) {
    const onInsert = Object.entries({ ...w.onInsert, id: w.id }).filter(([path]) => !written.some((p) => overlaps(path, p)));
    const setOnInsert = Object.fromEntries(onInsert.filter(([, value]) => !droppedByFerretSetOnInsert(value)));
    const lowest = Object.fromEntries(onInsert.filter(([, value]) => droppedByFerretSetOnInsert(value)));
    if (Object.keys(setOnInsert).length > 0) update.$setOnInsert = setOnInsert;
    Object.assign(max, lowest);
  }
  if (Object.keys(max).length > 0) update.$max = max;
  if (Object.keys(set).length > 0) update.$set = set;
  if (Object.keys(push).length > 0) update.$push = push;
  if (Object.keys(update).length === 0) return undefined;

  if (w.guard === undefined) return { filter: { _id: w.id }, update, upsert: true };
  const applied = appliedField(w.guard.stream);
  return {
    filter: { _id: w.id, $or: [{ [applied]: { $exists: false } }, { [applied]: { $lt: w.guard.version } }] },
    update,
    upsert: false,
  };
};

/** One operation of a collection's bulkWrite and the caller it belongs to. */
interface Op {
  readonly caller: number;
  readonly update: ReadModelUpdate;
}

const toModel = (u: ReadModelUpdate): AnyBulkWriteOperation<ReadModelDocument> => ({
  updateOne: { filter: u.filter, update: u.update, upsert: u.upsert },
});

/** The update without $setOnInsert (useless without upsert), for the retry after a duplicate-key race. */
const asPlainUpdate = (u: ReadModelUpdate): UpdateFilter<ReadModelDocument> => {
  const { $setOnInsert: _ignored, ...rest } = u.update;
  // an update needs at least one operator: setting id to itself changes nothing
  return Object.keys(rest).length === 0 ? { $set: { id: u.filter._id as unknown } } : rest;
};

/**
 * Runs one collection's operations in order with `ordered: true` (so writes to the same document
 * keep their order). On a failure the failing caller is marked failed and the operations of the
 * *other* callers after it still run (in order): one caller's bad write does not fail its batch-mates.
 *
 * A duplicate-key error on an upsert is the race where another writer inserted the same `id`
 * between our lookup and our insert (both servers can lose it; MongoDB does not retry it inside a
 * bulkWrite): the document exists now, so the write is retried once as a plain update.
 */
const runOrdered = async (collection: Collection<ReadModelDocument>, ops: readonly Op[], failed: Map<number, Error>): Promise<void> => {
  for (const chunk of chunksOf(ops)) await runOrderedChunk(collection, chunk, failed);
};

const runOrderedChunk = async (
  collection: Collection<ReadModelDocument>,
  ops: readonly Op[],
  failed: Map<number, Error>,
): Promise<void> => {
  let pending = ops;
  while (pending.length > 0) {
    const batch = pending.filter((op) => !failed.has(op.caller));
    if (batch.length === 0) return;
    try {
      await writeIsolatingRefusals(
        batch.map((op) => toModel(op.update)),
        (models) => collection.bulkWrite(models, { ordered: true, ignoreUndefined: true }),
        true,
      );
      return;
    } catch (error) {
      const writeErrors = perOperationErrors(error);
      const first = writeErrors?.[0];
      const op = first === undefined ? undefined : batch[first.index];
      if (first === undefined || op === undefined) {
        for (const o of batch) if (!failed.has(o.caller)) failed.set(o.caller, error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (isDuplicateKeyCode(first.code) && op.update.upsert) {
        try {
          await collection.updateOne(op.update.filter, asPlainUpdate(op.update), { ignoreUndefined: true });
        } catch (retryError) {
          failed.set(op.caller, retryError instanceof Error ? retryError : new Error(String(retryError)));
        }
      } else {
        failed.set(op.caller, itemError(first, `read-model write to ${collection.collectionName} failed`));
      }
      pending = batch.slice(first.index + 1);
    }
  }
};

interface Item {
  readonly caller: number;
  readonly write: ReadModelWrite;
  /** The caller's writes were never applied before (ReadModelApplyOptions.firstTime). */
  readonly firstTime: boolean;
}

const opsOf = (items: readonly Item[]): Op[] =>
  items.flatMap(({ caller, write }) => {
    const update = toReadModelUpdate(write);
    return update === undefined ? [] : [{ caller, update }];
  });

/**
 * One collection's writes, in order, split as runCollection stores them: by id, the document they
 * create (the leading unguarded writes of an id, merged in memory by createdDocument, `_id`
 * included), with the items that made it, and the writes that follow (guarded, or after a guarded
 * one on the same id).
 */
export const splitWrites = <T extends { readonly write: ReadModelWrite }>(
  items: readonly T[],
): { created: Map<string, { doc: ReadModelDocument; items: T[] }>; updates: T[] } => {
  const creating = new Map<string, T[]>();
  const updates: T[] = [];
  const updatedIds = new Set<string>();
  for (const item of items) {
    const id = item.write.id;
    if (item.write.guard === undefined && !updatedIds.has(id)) {
      const made = creating.get(id);
      if (made === undefined) creating.set(id, [item]);
      else made.push(item);
    } else {
      updatedIds.add(id);
      updates.push(item);
    }
  }
  const created = new Map<string, { doc: ReadModelDocument; items: T[] }>();
  for (const [id, made] of creating) {
    const writes = made.map((item) => item.write);
    created.set(id, { doc: createdDocument(id, writes), items: made });
  }
  return { created, updates };
};

/**
 * One collection's writes. Documents this batch creates — the leading unguarded writes of an id,
 * merged in memory (`createdDocument`) — are inserted with one unordered insertMany: FerretDB v1 checks
 * an insert's uniqueness through its index, while every update, even by `_id`, scans the whole
 * collection. A duplicate means the document exists (a redelivery): those of its writes that
 * still change it run as the idempotent upserts they are. The rest (guarded writes) run in order
 * afterwards, their guards checked by the server or, with `guards: 'client'`, against the
 * documents read first.
 */
const runCollection = async (
  collection: Collection<ReadModelDocument>,
  items: readonly Item[],
  failed: Map<number, Error>,
  guards: 'server' | 'client',
): Promise<void> => {
  const { created, updates } = splitWrites(items);
  const entries = [...created.entries()];
  const existing: Item[] = [];
  if (entries.length > 0) {
    try {
      await writeIsolatingRefusals(
        entries.map(([, e]) => e.doc),
        (docs) => collection.insertMany(docs, { ordered: false, ignoreUndefined: true }),
        false,
      );
    } catch (error) {
      const writeErrors = perOperationErrors(error);
      if (writeErrors === undefined) throw error;
      for (const w of writeErrors) {
        const entry = entries[w.index]?.[1];
        if (!entry) continue;
        if (isDuplicateKeyCode(w.code)) existing.push(...entry.items);
        else
          for (const item of entry.items)
            failed.set(item.caller, itemError(w, `read-model insert into ${collection.collectionName} failed`));
      }
    }
  }
  const ops =
    guards === 'server'
      ? [...opsOf(await changing(collection, existing)), ...opsOf(updates)]
      : opsOf(await changing(collection, [...existing, ...updates])).map(byIdOnly);
  await runOrdered(collection, ops, failed);
};

/** The operation filtered by `_id` alone (its guard already checked against the document read). */
const byIdOnly = (op: Op): Op => ({ ...op, update: { ...op.update, filter: { _id: op.update.filter._id } } });

/**
 * Of the writes, in order, those that would change their document as it is now (guards included:
 * a guarded write never creates one). After a crash every redelivered message meets its own
 * documents, and re-applying writes that change nothing cost one update each: on FerretDB v1 a
 * scan of the collection per write, which after a restart amounted to minutes per batch. Reading
 * the documents first is far cheaper (on MongoDB an index lookup). Writes made for the first time
 * (`firstTime`) cannot be no-ops, so documents that only they touch are not read.
 */
const changing = async (collection: Collection<ReadModelDocument>, items: readonly Item[]): Promise<Item[]> => {
  if (items.length === 0) return [];
  // A document only first-time writes touch needs no read: each of them changes it.
  const unsure = new Set(items.filter((i) => !i.firstTime).map((i) => i.write.id));
  const current: Map<string, Document | undefined> = await documentsById(collection, [...unsure]);
  return items.filter((item) => {
    if (!unsure.has(item.write.id)) return true;
    const before = current.get(item.write.id);
    const after = applyWrite(before, item.write);
    current.set(item.write.id, after);
    return after !== undefined && (before === undefined || !isDeepStrictEqual(after, before));
  });
};

interface Call {
  readonly writes: readonly ReadModelWrite[];
  readonly firstTime: boolean;
}

/**
 * A ReadModelStore on one collection per read model. Concurrent `apply` calls are gathered by a
 * micro-batcher; their writes are grouped by collection (keeping caller order, then write order),
 * collections in parallel: new documents inserted in one insertMany, the other writes as one
 * ordered bulkWrite. Every write is idempotent, so a caller whose apply failed part-way simply
 * applies all its writes again.
 */
export const createMongoReadModelStore = (db: Db, opts: MongoReadModelStoreOptions = {}): ReadModelStore => {
  const runBatch = async (batch: Call[]): Promise<(Error | undefined)[]> => {
    const byCollection = new Map<ReadModelName, Item[]>();
    batch.forEach(({ writes, firstTime }, caller) => {
      for (const write of writes) {
        const items = byCollection.get(write.collection) ?? [];
        items.push({ caller, write, firstTime });
        byCollection.set(write.collection, items);
      }
    });
    const failed = new Map<number, Error>();
    await Promise.all(
      [...byCollection].map(([name, items]) =>
        runCollection(db.collection<ReadModelDocument>(`${opts.collectionPrefix ?? ''}${name}`), items, failed, opts.guards ?? 'server'),
      ),
    );
    return batch.map((_, caller) => failed.get(caller));
  };

  const submit = createMicroBatcher<Call, Error | undefined, Context>({
    run: tracedBatch(
      mongoBatchSpan(db, `${opts.collectionPrefix ?? ''}read models`, 'write', {
        size: (calls) => calls.reduce((n, c) => n + c.writes.length, 0),
        results: failedParts,
      }),
      runBatch,
    ),
    tagOf: callerContext,
    maxBatch: opts.maxBatch ?? 200,
    maxWaitMs: opts.maxWaitMs ?? 0,
  });

  return {
    apply: (writes, options) =>
      writes.length === 0
        ? of(undefined)
        : submit({ writes, firstTime: options?.firstTime === true }).pipe(
            map((error) => {
              if (error !== undefined) throw error;
            }),
          ),
  };
};
