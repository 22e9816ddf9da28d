import type { Collection, Db, UpdateFilter } from 'mongodb';
import { defer, type Observable } from 'rxjs';
import type { LookupFailure, LookupFailureLog } from '../../streams/ports.js';
import { createMicroBatcher } from '../../lib/microBatcher.js';
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
  failures: number;
  first_failed_at: Date;
  last_failed_at: Date;
  last_reason: string;
  resolved_at?: Date;
  /** How a retry ended it: `notified` (event id), `no-rule`, or `already-notified`. */
  outcome?: string;
}

export interface MongoLookupFailures extends LookupFailureLog {
  open(limit: number): Observable<LookupFailureDocument[]>;
  resolve(id: string, outcome: string): Observable<void>;
  stillFailing(id: string, reason: string): Observable<void>;
}

export const lookupFailuresCollection = (db: Db): Collection<LookupFailureDocument> =>
  db.collection<LookupFailureDocument>(LOOKUP_FAILURES_COLLECTION);

export const ensureLookupFailureIndexes = async (db: Db, options: IndexOptions = {}): Promise<void> => {
  await ensureIndexList(lookupFailuresCollection(db), [{ key: { status: 1, first_failed_at: 1 }, name: 'status_first_failed' }], options);
};

export const lookupFailureId = (f: Pick<LookupFailure, 'case_id' | 'trigger'>): string => `${f.case_id}|${f.trigger}`;

/** The `notification_lookup_failures` collection; records are batched across case actors. */
export const createMongoLookupFailures = (db: Db, opts: { maxBatch?: number } = {}): MongoLookupFailures => {
  const failures = lookupFailuresCollection(db);
  const record = createMicroBatcher<LookupFailure, void>({
    maxBatch: opts.maxBatch ?? 500,
    run: async (items) => {
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
    },
  });
  /** How retries ended, from many concurrent retries at once: one bulkWrite per chunk. */
  const settle = createMicroBatcher<{ readonly _id: string; readonly update: UpdateFilter<LookupFailureDocument> }, void>({
    maxBatch: opts.maxBatch ?? 500,
    run: async (items) => {
      for (const chunk of chunksOf(items)) await failures.bulkWrite(chunk.map(({ _id, update }) => ({ updateOne: { filter: { _id }, update } })), { ordered: true });
      return items.map(() => undefined);
    },
  });
  return {
    record,
    open: (limit) => defer(() => failures.find({ status: 'open' }).sort({ first_failed_at: 1 }).limit(limit).toArray()),
    resolve: (id, outcome) => settle({ _id: id, update: { $set: { status: 'resolved', outcome, resolved_at: new Date() } } }),
    stillFailing: (id, reason) => settle({ _id: id, update: { $set: { last_failed_at: new Date(), last_reason: reason }, $inc: { failures: 1 } } }),
  };
};
