import { isDeepStrictEqual } from 'node:util';
import type { Context } from '@opentelemetry/api';
import type { Collection, Db } from 'mongodb';
import { map } from 'rxjs';
import type { Rejection } from '../../domain/rejection.js';
import type { RawEventEntry, RawEventLog } from '../../streams/ports.js';
import { createMicroBatcher } from '../../lib/microBatcher.js';
import { ensureIndexList, type IndexOptions } from './indexes.js';
import { bulkUpsert, type Upsert } from './bulkUpsert.js';
import { callerContext, tracedBatch } from '../telemetry/batchSpan.js';
import { failedParts, mongoBatchSpan } from './batchSpans.js';

export const RAW_EVENTS_COLLECTION = 'raw_events';
export const RAW_EVENT_TYPE = 'KAFKA_MESSAGE_RAW_STORED';

/** A client message as received, with how its processing ended. */
export interface RawEventDocument {
  /** = id: on FerretDB v1 a filter that is exactly `{_id: <string>}` is ~10x cheaper than `{id}` (see readModelStore). */
  _id: string;
  id: string;
  event_type: typeof RAW_EVENT_TYPE;
  /** The message as parsed, or its JSON text when it cannot be stored as a document. */
  payload: RawEventEntry['payload'];
  received_at: Date;
  /** When casestream last recorded how the message ended; RETENTION_RAW_EVENTS counts from it. */
  processed_at?: Date;
  /** processed_at while the message's case is under legal hold: a copy without processed_at never expires (see rawCopyHolds). */
  held_processed_at?: Date;
  status: RawEventEntry['status'];
  error?: Rejection;
}

export interface MongoRawEventLogOptions {
  /** The most entries one bulkWrite carries (default 500). */
  readonly maxBatch?: number;
  /** How long a record waits for company before its batch starts (default 0: the next macrotask). */
  readonly maxWaitMs?: number;
  /** The clock for processed_at (tests pass a fixed one). */
  readonly now?: () => Date;
}

export const rawEventsCollection = (db: Db): Collection<RawEventDocument> => db.collection<RawEventDocument>(RAW_EVENTS_COLLECTION);

export const ensureRawEventLogIndexes = async (db: Db, options: IndexOptions = {}): Promise<void> => {
  await ensureIndexList(rawEventsCollection(db), [{ key: { id: 1 }, name: 'id_unique', unique: true }], options);
};

/**
 * The upsert that records one entry, keyed by `_id` = id: what was received is written once (`$setOnInsert`), how it
 * ended is written every time (`$set`; a stale `error` is removed with `$unset` when the entry now has none).
 */
export const toRawEventUpsert = (entry: RawEventEntry, now: Date): Upsert<RawEventDocument> & { insert: RawEventDocument } => ({
  filter: { _id: entry.id },
  // a redelivery that ended as before keeps the entry as it is, processed_at of the first time; a
  // copy under legal hold stays as it was when held
  changes: (stored) =>
    stored.held_processed_at === undefined && (stored.status !== entry.status || !isDeepStrictEqual(stored.error, entry.error)),
  insert: {
    _id: entry.id,
    id: entry.id,
    event_type: RAW_EVENT_TYPE,
    payload: entry.payload,
    received_at: entry.received_at,
    processed_at: now,
    status: entry.status,
    ...(entry.error === undefined ? {} : { error: entry.error }),
  },
  update: {
    $setOnInsert: { id: entry.id, event_type: RAW_EVENT_TYPE, payload: entry.payload, received_at: entry.received_at },
    $set: { processed_at: now, status: entry.status, ...(entry.error === undefined ? {} : { error: entry.error }) },
    ...(entry.error === undefined ? { $unset: { error: '' as const } } : {}),
  },
});

/**
 * A RawEventLog on the `raw_events` collection, idempotent per `id`. Concurrent records are gathered
 * by a micro-batcher into one `bulkWrite(ordered: false)` of upserts; a failed upsert fails its own
 * caller only. A duplicate-key error is the race of two upserts inserting the same id: retried once
 * as a plain update (the document exists by then).
 */
export const createMongoRawEventLog = (db: Db, opts: MongoRawEventLogOptions = {}): RawEventLog => {
  const raw = rawEventsCollection(db);
  const now = opts.now ?? (() => new Date());

  const runBatch = (entries: RawEventEntry[]) => {
    const at = now();
    return bulkUpsert(
      raw,
      entries.map((e) => toRawEventUpsert(e, at)),
      'raw event record failed',
    );
  };

  const submit = createMicroBatcher<RawEventEntry, Error | undefined, Context>({
    run: tracedBatch(mongoBatchSpan(db, RAW_EVENTS_COLLECTION, 'upsert', { results: failedParts }), runBatch),
    tagOf: callerContext,
    maxBatch: opts.maxBatch ?? 500,
    maxWaitMs: opts.maxWaitMs ?? 0,
  });

  return {
    record: (entry) =>
      submit(entry).pipe(
        map((error) => {
          if (error !== undefined) throw error;
        }),
      ),
  };
};
