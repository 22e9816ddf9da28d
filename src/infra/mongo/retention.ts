import type { Db, Document, Filter } from 'mongodb';
import type { RetentionSettings } from '../settings.js';
import { API_IDEMPOTENCY_COLLECTION, COMMAND_RESULTS_COLLECTION } from './commandResults.js';
import { LOOKUP_FAILURES_COLLECTION } from './lookupFailures.js';
import { RAW_EVENTS_COLLECTION } from './rawEventLog.js';
import type { ServerAccommodations } from './serverAccommodations.js';
import { chunksOf } from './updateChunks.js';

/** One kind of record casestream keeps for a while: its collection, the date its period counts from, which records expire. */
export interface RetentionTarget {
  readonly collection: string;
  /** The Date field the period counts from; a record without it never expires. */
  readonly field: string;
  /** Only records matching this expire (equality conditions only: a TTL index's partial filter takes them); absent: all. */
  readonly only?: Readonly<Record<string, string>>;
  /** How long a record is kept; null: forever. */
  readonly maxAgeMs: number | null;
}

/** The records RETENTION_* settings expire, one target per collection. */
export const retentionTargets = (r: RetentionSettings): RetentionTarget[] => [
  { collection: RAW_EVENTS_COLLECTION, field: 'processed_at', maxAgeMs: r.rawEventsMs },
  { collection: COMMAND_RESULTS_COLLECTION, field: 'completed_at', maxAgeMs: r.commandResultsMs },
  // A failure that fails again is reopened with its old resolved_at: only resolved ones may expire.
  { collection: LOOKUP_FAILURES_COLLECTION, field: 'resolved_at', only: { status: 'resolved' }, maxAgeMs: r.lookupFailuresMs },
  { collection: API_IDEMPOTENCY_COLLECTION, field: 'created_at', maxAgeMs: r.apiIdempotencyMs },
];

/** The name of the TTL index casestream keeps on each collection it expires. */
export const TTL_INDEX = 'retention_ttl';

/** How a target's records expire: by the server's TTL index, by casestream's sweep, or never. */
export type Expiry =
  | { readonly target: RetentionTarget; readonly by: 'ttl-index' }
  | { readonly target: RetentionTarget & { readonly maxAgeMs: number }; readonly by: 'sweep'; readonly because: string }
  | { readonly target: RetentionTarget; readonly by: 'never' };

/** Server answers that mean "no TTL index here": NotImplemented (FerretDB), CannotCreateIndex, CommandNotSupported. */
const NO_TTL_CODES: ReadonlySet<unknown> = new Set([238, 67, 115]);

const codeOf = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);

/** A TTL index counts whole seconds: a period that is not is rounded up, so nothing goes early. */
export const ttlSeconds = (maxAgeMs: number): number => Math.max(1, Math.ceil(maxAgeMs / 1000));

const indexesOf = async (db: Db, collection: string): Promise<Document[]> => {
  try {
    return await db.collection(collection).listIndexes().toArray();
  } catch (error) {
    if (codeOf(error) === 26) return []; // NamespaceNotFound: nothing stored yet
    throw error;
  }
};

const sameKey = (index: Document, field: string): boolean => {
  const key = Object.entries((index['key'] ?? {}) as Record<string, unknown>);
  return key.length === 1 && key[0]![0] === field && key[0]![1] === 1;
};

/**
 * Makes the collection's TTL index say what the target says: created, its `expireAfterSeconds`
 * changed in place (`collMod`), recreated when it counts from another field, dropped when the
 * records are kept forever.
 */
export const ensureTtlIndex = async (db: Db, target: RetentionTarget): Promise<void> => {
  const collection = db.collection(target.collection);
  const existing = (await indexesOf(db, target.collection)).find((i) => i['name'] === TTL_INDEX);
  if (target.maxAgeMs === null) {
    if (existing) await collection.dropIndex(TTL_INDEX);
    return;
  }
  const expireAfterSeconds = ttlSeconds(target.maxAgeMs);
  if (existing && sameKey(existing, target.field)) {
    if (existing['expireAfterSeconds'] !== expireAfterSeconds)
      await db.command({ collMod: target.collection, index: { name: TTL_INDEX, expireAfterSeconds } });
    return;
  }
  if (existing) await collection.dropIndex(TTL_INDEX);
  await collection.createIndex(
    { [target.field]: 1 },
    { name: TTL_INDEX, expireAfterSeconds, ...(target.only ? { partialFilterExpression: target.only } : {}) },
  );
};

/**
 * Decides, collection by collection, how expired records go: TTL indexes where the server has them
 * (created or updated here, at startup), the sweep where it has none or refuses one.
 */
export const prepareExpiry = async (
  db: Db,
  accommodations: Pick<ServerAccommodations, 'ttlIndexes'>,
  targets: readonly RetentionTarget[],
): Promise<Expiry[]> => {
  const expiries: Expiry[] = [];
  for (const target of targets) {
    const { maxAgeMs } = target;
    if (!accommodations.ttlIndexes) {
      expiries.push(maxAgeMs === null ? { target, by: 'never' } : { target: { ...target, maxAgeMs }, by: 'sweep', because: 'FerretDB' });
      continue;
    }
    try {
      await ensureTtlIndex(db, target);
      expiries.push({ target, by: maxAgeMs === null ? 'never' : 'ttl-index' });
    } catch (error) {
      if (!NO_TTL_CODES.has(codeOf(error))) throw error;
      const because = `the server refused a TTL index: ${error instanceof Error ? error.message : String(error)}`;
      expiries.push(maxAgeMs === null ? { target, by: 'never' } : { target: { ...target, maxAgeMs }, by: 'sweep', because });
    }
  }
  return expiries;
};

/** What one sweep batch did on one collection. */
export interface SweptBatch {
  readonly deleted: number;
  /** The batch was full: more expired records may be waiting. */
  readonly more: boolean;
}

/**
 * Deletes at most `limit` of the target's records older than `before`. They are found by one query
 * (on FerretDB v1 any filter but `{_id}` decodes the collection, so one query per batch, not per
 * record) and deleted by `_id`, the one filter FerretDB answers from an index, in chunks it takes.
 */
export const deleteExpired = async (db: Db, target: RetentionTarget, before: Date, limit: number): Promise<SweptBatch> => {
  const collection = db.collection<{ _id: unknown }>(target.collection);
  const filter = { ...target.only, [target.field]: { $lt: before } } as Filter<{ _id: unknown }>;
  const ids = (await collection.find(filter, { projection: { _id: 1 }, limit }).toArray()).map((d) => d._id);
  let deleted = 0;
  for (const chunk of chunksOf(ids)) {
    const result = await collection.bulkWrite(
      chunk.map((_id) => ({ deleteOne: { filter: { _id } } })),
      { ordered: false },
    );
    deleted += result.deletedCount;
  }
  return { deleted, more: ids.length === limit };
};
