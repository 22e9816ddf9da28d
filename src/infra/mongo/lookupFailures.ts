import type { Context } from '@opentelemetry/api';
import type { Collection, Db } from 'mongodb';
import { defer, type Observable } from 'rxjs';
import type { LookupFailure, LookupFailureLog, LookupResolution, LookupRetryEnd } from '../../streams/ports.js';
import { createMicroBatcher } from '../../lib/microBatcher.js';
import { callerContext, tracedBatch } from '../telemetry/batchSpan.js';
import { mongoBatchSpan } from './batchSpans.js';
import { ensureIndexList, type IndexOptions } from './indexes.js';
import { chunksOf } from './updateChunks.js';

export const LOOKUP_FAILURES_COLLECTION = 'notification_lookup_failures';

/** A case whose notification rule could not be looked up; `notifications retry` works through the open ones. */
export interface LookupFailureDocument {
  /** `<case_id>|<trigger>`: one document per case and trigger, however often the lookup failed. */
  _id: string;
  case_id: string;
  trigger: string;
  status: 'open' | 'resolved';
  /** How often the lookup failed: the first time, and every retry that failed again. */
  failures: number;
  first_failed_at: Date;
  last_failed_at: Date;
  last_reason: string;
  resolved_at?: Date;
  /** How the retry that closed it ended. */
  outcome?: LookupRetryEnd['outcome'];
  /** The notification's id, when the retry notified. */
  event_id?: string;
}

export interface MongoLookupFailures extends LookupFailureLog {
  /** The open failures, oldest first. */
  open(limit: number): Observable<LookupFailureDocument[]>;
  /** The failures with these ids, open or resolved. */
  find(ids: readonly string[]): Observable<LookupFailureDocument[]>;
}

export const lookupFailuresCollection = (db: Db): Collection<LookupFailureDocument> =>
  db.collection<LookupFailureDocument>(LOOKUP_FAILURES_COLLECTION);

export const ensureLookupFailureIndexes = async (db: Db, options: IndexOptions = {}): Promise<void> => {
  await ensureIndexList(lookupFailuresCollection(db), [{ key: { status: 1, first_failed_at: 1 }, name: 'status_first_failed' }], options);
};

export const lookupFailureId = (f: Pick<LookupFailure, 'case_id' | 'trigger'>): string => `${f.case_id}|${f.trigger}`;

/** The most ids one `find` query names. */
const IDS_PER_QUERY = 500;

/** The `notification_lookup_failures` collection; records and resolutions are batched across case actors. */
export const createMongoLookupFailures = (db: Db, opts: { maxBatch?: number } = {}): MongoLookupFailures => {
  const failures = lookupFailuresCollection(db);
  const record = createMicroBatcher<LookupFailure, void, Context>({
    maxBatch: opts.maxBatch ?? 500,
    tagOf: callerContext,
    run: tracedBatch(mongoBatchSpan(db, LOOKUP_FAILURES_COLLECTION, 'upsert'), async (items) => {
      for (const chunk of chunksOf(items)) {
        await failures.bulkWrite(
          chunk.map((f) => ({
            updateOne: {
              filter: { _id: lookupFailureId(f) },
              update: {
                $setOnInsert: { case_id: f.case_id, trigger: f.trigger, first_failed_at: f.failed_at },
                $set: { status: 'open' as const, last_failed_at: f.failed_at, last_reason: f.reason },
                $inc: { failures: 1 },
              },
              upsert: true,
            },
          })),
          { ordered: true },
        );
      }
      return items.map(() => undefined);
    }),
  });
  // Only an open failure is closed, so a redelivered retry leaves the first outcome as it was.
  const resolve = createMicroBatcher<LookupResolution, void, Context>({
    maxBatch: opts.maxBatch ?? 500,
    tagOf: callerContext,
    run: tracedBatch(mongoBatchSpan(db, LOOKUP_FAILURES_COLLECTION, 'update'), async (items) => {
      for (const chunk of chunksOf(items)) {
        await failures.bulkWrite(
          chunk.map((r) => ({
            updateOne: {
              filter: { _id: lookupFailureId(r), status: 'open' as const },
              update: {
                $set: {
                  status: 'resolved' as const,
                  resolved_at: r.resolved_at,
                  outcome: r.outcome,
                  ...(r.outcome === 'notified' ? { event_id: r.event_id } : {}),
                },
              },
            },
          })),
          { ordered: true },
        );
      }
      return items.map(() => undefined);
    }),
  });
  const find = async (ids: readonly string[]): Promise<LookupFailureDocument[]> => {
    const found: LookupFailureDocument[] = [];
    for (const chunk of chunksOf(ids, IDS_PER_QUERY)) for (const d of await failures.find({ _id: { $in: chunk } }).toArray()) found.push(d);
    return found;
  };
  return {
    record,
    resolve,
    open: (limit) => defer(() => failures.find({ status: 'open' }).sort({ first_failed_at: 1 }).limit(limit).toArray()),
    find: (ids) => defer(() => find(ids)),
  };
};
