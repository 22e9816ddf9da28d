import { trace, type Attributes, type Context } from '@opentelemetry/api';
import type { Collection, Db } from 'mongodb';
import { defer, map, of, type Observable } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../domain/caseState.js';
import { inEnvelopeOrder, type DomainEvent, type EventMetadata, type NotificationRequired } from '../../domain/events.js';
import { contentDiffers } from '../../domain/keyReuse.js';
import type { RecordedNotification } from '../../domain/notificationRequeue.js';
import type { AppendResult, EventStore, NotificationOutbox } from '../../streams/ports.js';
import { createMicroBatcher } from '../../lib/microBatcher.js';
import { ensureIndexList, type IndexOptions } from './indexes.js';
import { isDuplicateKeyCode, itemError, perOperationErrors, writeIsolatingRefusals } from './writeErrors.js';
import { callerContext, tracedBatch } from '../telemetry/batchSpan.js';
import { failedParts, mongoBatchSpan } from './batchSpans.js';
import {
  APPEND_CONFLICTS,
  APPEND_DUPLICATES,
  APPEND_KEYS_REUSED,
  BATCH_FAILED,
  SNAPSHOTS_UNWRITTEN,
} from '../../streams/tracing/semconv.js';
import { decodeSnapshot, snapshotsCollection, toSnapshotDocument, writeSnapshots, type SnapshotWrite } from './caseSnapshots.js';

export const EVENTS_COLLECTION = 'domain_events';

export const OUTBOX_COLLECTION = 'notification_outbox';

/**
 * One stored event: the domain envelope. `_id` is the event's stream position (see positionId),
 * not an ObjectId.
 */
export interface EventDocument {
  _id: string;
  event_id: string;
  event_type: DomainEvent['event_type'];
  aggregate_id: string;
  timestamp: Date;
  version: number;
  payload: DomainEvent['payload'];
  metadata: EventMetadata;
}

/**
 * A NotificationRequired that Kafka has not acknowledged yet: its publication state, kept beside
 * the events by the same append and removed on acknowledgement. A collection of its own because it
 * stays small: on FerretDB v1 any filter but an exact `_id` scans its whole collection, which on
 * `domain_events` would cost a scan of every event ever stored per relay pass. It points at the
 * event rather than copying it: entries stay a few dozen bytes to write and to scan, and hold no
 * personal data.
 */
export interface OutboxDocument {
  /** The event id. */
  _id: string;
  aggregate_id: string;
  version: number;
  /**
   * When it was appended: the relay leaves younger ones to the pipeline's fast path. A re-queued
   * entry, which no fast path publishes, is dated the relay's grace earlier.
   */
  pending_since: Date;
}

export interface MongoEventStore extends EventStore, NotificationOutbox {
  /** Records that Kafka acknowledged these notifications (removes them from the outbox); idempotent. */
  markPublished(event_ids: readonly string[]): Observable<void>;
  /**
   * Stored NotificationRequired events not yet acknowledged, in (aggregate_id, version) order, at
   * most `limit`; with `appendedBefore`, only those appended earlier, so that the relay leaves the
   * newest ones to the pipeline, which is about to publish them.
   */
  pendingNotifications(limit: number, appendedBefore?: Date): Observable<NotificationRequired[]>;
}

export interface MongoEventStoreOptions {
  /**
   * The most appends (callers) one insertMany carries (default 200); an append is never split
   * across insertMany calls, so one call carries this many appends' events.
   */
  readonly maxBatch?: number;
  /** How long an append waits for company before its batch starts (default 0: the next macrotask). */
  readonly maxWaitMs?: number;
  /**
   * A case's snapshot is rewritten by the append whose versions reach the next multiple of this
   * (default 32, DB_SNAPSHOT_EVERY); 1 keeps one after every append.
   */
  readonly snapshotEvery?: number;
  /**
   * The outbox relay's grace (OUTBOX_GRACE_MS; default 0): a re-queued entry is dated this much
   * earlier than now, so that the relay's next pass publishes it.
   */
  readonly outboxGraceMs?: number;
}

/** About how many events are stored (from the collection's metadata, without a scan). */
export const estimatedEventCount = (db: Db): Promise<number> => eventsCollection(db).estimatedDocumentCount();

export const eventsCollection = (db: Db): Collection<EventDocument> => db.collection<EventDocument>(EVENTS_COLLECTION);

export const outboxCollection = (db: Db): Collection<OutboxDocument> => db.collection<OutboxDocument>(OUTBOX_COLLECTION);

/**
 * The indexes the event store relies on; creating them again is a no-op. Uniqueness is what makes
 * append safe without transactions, on MongoDB and on FerretDB v1 alike: of `event_id` (a
 * redelivery), and of the stream position, which `_id` (positionId) enforces by itself; the
 * `aggregate_id, version` index serves reads of a whole stream (the API's case events; a load reads
 * by `_id`).
 */
export const ensureEventStoreIndexes = async (db: Db, options: IndexOptions = {}): Promise<void> => {
  await ensureIndexList(
    eventsCollection(db),
    [
      { key: { event_id: 1 }, name: 'event_id_unique', unique: true, constraint: true },
      { key: { aggregate_id: 1, version: 1 }, name: 'aggregate_version_unique', unique: true },
    ],
    options,
  );
  await ensureIndexList(outboxCollection(db), [{ key: { aggregate_id: 1, version: 1 }, name: 'case_order' }], options);
};

/**
 * The `_id` of the event at `version` of `aggregate_id`: `<aggregate_id>:<version, 10 digits>`, its
 * position in the stream. A natural key instead of an ObjectId: the primary key itself says "one
 * event per (aggregate_id, version)", and per-document operations (the compensating delete below)
 * can filter on `_id` alone, the one filter FerretDB v1 evaluates inside SQLite (~10x cheaper than
 * filters it evaluates by decoding every document in Go; see readModelStore).
 */
export const positionId = (aggregate_id: string, version: number): string => `${aggregate_id}:${String(version).padStart(10, '0')}`;

export const toEventDocument = (e: DomainEvent): EventDocument => ({
  _id: positionId(e.aggregate_id, e.version),
  event_id: e.event_id,
  event_type: e.event_type,
  aggregate_id: e.aggregate_id,
  timestamp: e.timestamp,
  version: e.version,
  payload: e.payload,
  metadata: e.metadata,
});

/** The domain event a stored document holds (envelope fields in their documented order; `_id` dropped). */
export const fromEventDocument = (d: EventDocument): DomainEvent => {
  const { correlation_id, causation_id, content_hash } = d.metadata;
  return inEnvelopeOrder(d as unknown as DomainEvent, {
    correlation_id,
    causation_id,
    ...(content_hash === undefined ? {} : { content_hash }),
  });
};

const projection = { _id: 0 } as const;

export const DEFAULT_SNAPSHOT_EVERY = 32;

/**
 * Point reads of one stream at once (see readStream): first 8, which holds a whole KYC or KYB
 * case's creation and its first commands in one round trip (starting from 1, it took four), then
 * twice as many each time, up to 32.
 */
const FIRST_READ_WINDOW = 8;
const MAX_READ_WINDOW = 32;

/**
 * The stored events of a stream from version `from` on, up to the first version not stored (at most
 * `limit` of them), each read by `_id` (positionId), the one filter FerretDB v1 evaluates inside
 * SQLite: 8, 16, 32, 32, … at a time, so a stream costs few round trips and none of them grows with
 * the store. Loads, erasures, the evidence export and a redelivery's re-projection all read streams this way.
 */
export const readStream = async (
  events: Collection<EventDocument>,
  aggregate_id: string,
  from = 1,
  limit = Number.POSITIVE_INFINITY,
): Promise<DomainEvent[]> => {
  const found: DomainEvent[] = [];
  for (let next = from, window = FIRST_READ_WINDOW; next < from + limit; next += window, window = Math.min(window * 2, MAX_READ_WINDOW)) {
    window = Math.min(window, from + limit - next);
    const docs = await Promise.all(
      Array.from({ length: window }, (_, i) => events.findOne({ _id: positionId(aggregate_id, next + i) }, { projection })),
    );
    for (const d of docs) {
      if (d === null) return found;
      found.push(fromEventDocument(d));
    }
  }
  return found;
};

/** What one caller gets back from a batch: its result, or the error of its own documents. */
type Outcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: Error };

/** How a batch of appends went, for its span: callers refused for a conflict or a reused key, duplicates, failures. */
const appendOutcomes = (outcomes: readonly Outcome[]): Attributes => {
  const count = (kind: AppendResult['kind']) => outcomes.filter((o) => o.ok && o.result.kind === kind).length;
  return {
    [APPEND_CONFLICTS]: count('conflict'),
    [APPEND_KEYS_REUSED]: count('key-reused'),
    [APPEND_DUPLICATES]: outcomes.reduce((n, o) => (o.ok && o.result.kind === 'appended' ? n + o.result.duplicates : n), 0),
    [BATCH_FAILED]: outcomes.filter((o) => !o.ok).length,
  };
};

const isAppended = (o: Outcome | undefined): boolean => o?.ok === true && o.result.kind === 'appended';

/** The outbox entries one batch wrote: those it created, by caller, and the callers whose entry failed. */
interface WrittenEntries {
  readonly created: readonly { readonly caller: number; readonly doc: OutboxDocument }[];
  readonly failed: ReadonlyMap<number, Error>;
}

const unwrap = (o: Outcome): AppendResult => {
  if (!o.ok) throw o.error;
  return o.result;
};

/** One call of `append`: the events, and the case's state once they are stored (see EventStore.append). */
interface Appending {
  readonly events: readonly DomainEvent[];
  readonly state: CaseState | undefined;
}

/** One caller's append inside a batch: which documents of the insertMany are its own. */
interface Slot {
  readonly docs: EventDocument[];
  readonly first: number;
  readonly state: CaseState | undefined;
}

/**
 * The snapshot a caller's append lets the store keep: only when all of its events were stored by
 * this very append (a redelivery's state was decided on what the caller knew, not on what is
 * stored), it holds the event at the state's version, whose id the snapshot records, and its
 * versions reach a multiple of `every` (so a case has a snapshot at most every `every` events, and a
 * load reads fewer than `every` events plus one append's after it). `fresh` when no earlier append
 * of the case reached one.
 */
const snapshotOf = (slot: Slot, outcome: Outcome | undefined, every: number): SnapshotWrite | undefined => {
  const state = slot.state;
  if (state === undefined || !outcome?.ok || outcome.result.kind !== 'appended' || outcome.result.duplicates > 0) return undefined;
  let head: EventDocument | undefined;
  let first = state.version;
  for (const d of slot.docs) {
    if (d.aggregate_id !== state.case_id) continue;
    if (d.version === state.version) head = d;
    first = Math.min(first, d.version);
  }
  const reached = Math.floor(state.version / every) > Math.floor((first - 1) / every);
  return head && reached ? { doc: toSnapshotDocument(state, head.event_id), fresh: first - 1 < every } : undefined;
};

/**
 * An EventStore on the `domain_events` collection.
 *
 * Appends are inserts guarded by the unique indexes (never conditional updates, which FerretDB v1
 * does not run atomically). Concurrent appends from many case actors are gathered by a
 * micro-batcher into one `insertMany(docs, {ordered: false})`; the per-document duplicate-key
 * errors are then told apart: the event_id is stored → a redelivery (`duplicates`), unless it is
 * stored with another content hash → the message's key was reused for different content
 * (`key-reused`); it is not stored → another event holds that (aggregate_id, version) → a
 * `conflict` for that caller only. Only this rare path reads: an append without duplicates does not.
 *
 * An append that carries its case's state and reaches a multiple of `snapshotEvery` versions keeps
 * it as the case's snapshot (caseSnapshots.ts), in the same batch once its events are stored, so
 * that a load reads the snapshot and the events after it: the case's own documents, each by `_id`,
 * fewer than `snapshotEvery` plus one append's whatever the stream's length. Not after every
 * append: a load happens only when the case's actor does not remember the state
 * (CASE_STATES_KEPT), while each snapshot is one more document written, and deleted, with the
 * events.
 *
 * Cost on FerretDB v1.24 / SQLite: only an exact `{_id}` filter is evaluated inside SQLite (through
 * the `_id` index with the stack's patch, see docs/ferretdb.md); any other filter decodes every
 * document of its collection in Go, and no secondary index is used. Appends are cheap (inserts; the
 * constraint check uses the index) and so is a load, at any store size; the duplicate lookup of a
 * redelivery and `pendingNotifications` decode their whole collection. On MongoDB all of these
 * are index lookups. FerretDB v1 also refuses documents holding nested arrays (code 2,
 * "nested arrays are not supported"): such an event fails its own append, not its batch-mates'.
 *
 * What FerretDB v1.24 (SQLite) reports for `insertMany(docs, {ordered: false})` with some duplicates
 * (seen against the real server; test/integration/mongo/eventStore.int.spec.ts relies on it):
 * - every document is attempted: the insert goes on past the first error, documents after a failing
 *   one are stored, and a clash between two documents of the same batch is caught too;
 * - the driver throws a MongoBulkWriteError (code 11000) whose `writeErrors` has one entry per
 *   failing document: `{code: 11000, index: <position in docs>, errmsg: "E11000 duplicate key error
 *   collection: <db>.domain_events"}`; `insertedCount`/`insertedIds` cover only the stored documents;
 * - unlike MongoDB, the errmsg names neither the index nor the key (MongoDB adds `index: <name>
 *   dup key: {...}`), so which unique index was hit cannot be read from the error: the refused
 *   event_ids are looked up instead (one `find` per batch), which works on both servers.
 *
 * A conflicting append (or one that reused a key) may have had some of its other events inserted (ordered: false goes on past
 * the conflict, and a later version may still have been free). Those events came from a decision
 * made on stale state, so they are deleted again by `_id` (only the documents this very insert
 * created) before the conflict is reported, leaving the aggregate's stream as the winner wrote it.
 * Without transactions this compensation is not atomic: a crash in between leaves them stored.
 * Two writers racing with multi-event appends can thus both lose (A takes v2, B takes v3, each
 * removes its own): both reload and decide again; both winning is impossible.
 */
export const createMongoEventStore = (db: Db, opts: MongoEventStoreOptions = {}): MongoEventStore => {
  const events = eventsCollection(db);
  const outbox = outboxCollection(db);
  const snapshots = snapshotsCollection(db);
  const snapshotEvery = opts.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;

  /**
   * Puts every caller's notifications in the outbox, while their events are being inserted: an
   * entry only points at its event, and the relay publishes what is stored at the entry's position
   * (removing an entry whose position holds another event or none), so an entry written ahead of
   * its event is never published without it. Resolves with the entries this insert created and the
   * callers whose entry could not be written (an entry already there is a redelivery's: its event
   * may be what a crash left unpublished, and publishing it again is harmless).
   */
  const writeEntries = async (slots: readonly Slot[]): Promise<WrittenEntries> => {
    const now = new Date();
    const entries = slots.flatMap((slot, caller) =>
      slot.docs
        .filter((d) => d.event_type === 'NotificationRequired')
        .map((event) => ({
          caller,
          doc: { _id: event.event_id, aggregate_id: event.aggregate_id, version: event.version, pending_since: now },
        })),
    );
    const failed = new Map<number, Error>();
    if (entries.length === 0) return { created: [], failed };
    const refused = new Set<number>();
    try {
      await outbox.insertMany(
        entries.map((e) => e.doc),
        { ordered: false, ignoreUndefined: true },
      );
    } catch (error) {
      const writeErrors = perOperationErrors(error);
      if (writeErrors === undefined) throw error;
      for (const w of writeErrors) {
        const entry = entries[w.index];
        refused.add(w.index);
        if (entry && !isDuplicateKeyCode(w.code)) failed.set(entry.caller, itemError(w, 'notification outbox entry failed'));
      }
    }
    return { created: entries.filter((_, i) => !refused.has(i)), failed };
  };

  /**
   * Removes the entries this batch created for callers whose events were not stored (a conflict, a
   * reused key, a failure). Not awaited by anyone's result: an entry left behind is removed by the
   * relay, as one whose position does not hold its event.
   */
  const withdrawEntries = async (written: WrittenEntries, outcomes: readonly Outcome[]): Promise<void> => {
    const ids = written.created.filter((e) => !isAppended(outcomes[e.caller])).map((e) => e.doc._id);
    if (ids.length > 0) await outbox.deleteMany({ _id: { $in: ids } }).catch(() => undefined);
  };

  /** Deletes the documents a conflicting append did insert (by position); resolves with the error if that failed. */
  const removeStale = async (positions: readonly string[]): Promise<Error | undefined> => {
    try {
      // one `{_id}` filter per document (usually one or two): the cheap kind on FerretDB v1
      await Promise.all(positions.map((_id) => events.deleteOne({ _id })));
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  };

  /** Keeps the snapshots of the callers whose append stored their events, beside their outbox entries. */
  const keepSnapshots = async (slots: readonly Slot[], outcomes: readonly Outcome[]): Promise<void> => {
    const latest = new Map<string, SnapshotWrite>();
    slots.forEach((slot, caller) => {
      const write = snapshotOf(slot, outcomes[caller], snapshotEvery);
      const other = write && latest.get(write.doc._id);
      if (write && (other === undefined || other.doc.version < write.doc.version)) latest.set(write.doc._id, write);
    });
    if (latest.size === 0) return;
    const unwritten = await writeSnapshots(snapshots, [...latest.values()]);
    if (unwritten > 0) trace.getActiveSpan()?.setAttribute(SNAPSHOTS_UNWRITTEN, unwritten);
  };

  /**
   * What follows the events' insert: each caller answered (an append whose outbox entry could not
   * be written fails, to be retried), the entries of callers whose events were not stored
   * withdrawn, and the snapshots kept.
   */
  const settle = async (slots: readonly Slot[], stored: Outcome[], entries: Promise<WrittenEntries>): Promise<Outcome[]> => {
    const written = await entries;
    const outcomes = stored.map((o, caller): Outcome => {
      const failed = written.failed.get(caller);
      return failed !== undefined && isAppended(o) ? { ok: false, error: failed } : o;
    });
    await Promise.all([withdrawEntries(written, outcomes), keepSnapshots(slots, outcomes)]);
    return outcomes;
  };

  const runBatch = async (batch: Appending[]): Promise<Outcome[]> => {
    const slots: Slot[] = [];
    const docs: EventDocument[] = [];
    for (const appended of batch) {
      const own = appended.events.map(toEventDocument);
      slots.push({ docs: own, first: docs.length, state: appended.state });
      docs.push(...own);
    }
    const entries = writeEntries(slots);
    entries.catch(() => undefined); // awaited by settle; a failed insert of the events ends the batch first
    const failures = new Map<number, { code: number; error: ReturnType<typeof itemError> }>();
    try {
      await writeIsolatingRefusals(docs, (some) => events.insertMany(some, { ordered: false, ignoreUndefined: true }), false);
    } catch (error) {
      const writeErrors = perOperationErrors(error);
      if (writeErrors === undefined) throw error;
      for (const w of writeErrors) failures.set(w.index, { code: w.code, error: itemError(w, 'event append failed') });
    }
    if (failures.size === 0)
      return settle(
        slots,
        slots.map(() => ({ ok: true, result: { kind: 'appended', duplicates: 0 } })),
        entries,
      );

    // Which of the duplicate-key failures are events that are already stored, and for which
    // content? One query for all.
    const refusedIds = [...failures].filter(([, f]) => isDuplicateKeyCode(f.code)).map(([index]) => docs[index]!.event_id);
    const stored = new Map<string, string | undefined>();
    if (refusedIds.length > 0) {
      const found = await events.find({ event_id: { $in: refusedIds } }, { projection: { _id: 0, event_id: 1, metadata: 1 } }).toArray();
      for (const d of found) stored.set(d.event_id, d.metadata?.content_hash);
    }

    const outcomes: Outcome[] = [];
    for (const slot of slots) {
      let duplicates = 0;
      let reused = false;
      let conflict: { aggregate_id: string; version: number } | undefined;
      let failed: Error | undefined;
      const inserted: string[] = [];
      slot.docs.forEach((doc, i) => {
        const index = slot.first + i;
        const failure = failures.get(index);
        if (failure === undefined) {
          inserted.push(doc._id);
        } else if (isDuplicateKeyCode(failure.code) && stored.has(doc.event_id)) {
          if (contentDiffers(stored.get(doc.event_id), doc.metadata.content_hash)) reused = true;
          else duplicates += 1;
        } else if (isDuplicateKeyCode(failure.code)) {
          conflict ??= { aggregate_id: doc.aggregate_id, version: doc.version };
        } else {
          failed ??= failure.error;
        }
      });
      // A reused key is final; a conflict is decided again on the reloaded case.
      const refusal: AppendResult | undefined = reused ? { kind: 'key-reused' } : conflict && { kind: 'conflict', ...conflict };
      if (refusal !== undefined) {
        const undone = inserted.length === 0 ? undefined : await removeStale(inserted);
        outcomes.push(undone === undefined ? { ok: true, result: refusal } : { ok: false, error: undone });
      } else if (failed !== undefined) {
        outcomes.push({ ok: false, error: failed });
      } else {
        outcomes.push({ ok: true, result: { kind: 'appended', duplicates } });
      }
    }
    return settle(slots, outcomes, entries);
  };

  /**
   * Acknowledgements of many publishers at once: one delete of their outbox entries. With `$in`,
   * which FerretDB v1 evaluates by reading the whole outbox: its entries are a few dozen bytes, so
   * even a backlog of them reads faster than a delete per `_id`, each of which is a transaction and
   * a sync of its own there. On MongoDB either is an index lookup.
   */
  const acknowledge = createMicroBatcher<readonly string[], void, Context>({
    run: tracedBatch(
      mongoBatchSpan(db, OUTBOX_COLLECTION, 'delete', { size: (batches) => batches.reduce((n, ids) => n + ids.length, 0) }),
      async (batches) => {
        await outbox.deleteMany({ _id: { $in: batches.flat() } });
        return batches.map(() => undefined);
      },
    ),
    tagOf: callerContext,
    maxBatch: opts.maxBatch ?? 200,
  });

  /**
   * Re-queued notifications of many callers at once: one insert of their entries. An entry already
   * there (its append's, or another redelivery's) is left as it is: its duplicate-key error is the
   * expected answer. Any other refusal fails its caller, whose message is then retried.
   */
  const requeueBatch = async (batches: (readonly RecordedNotification[])[]): Promise<(Error | undefined)[]> => {
    // a millisecond more: the relay takes entries strictly older than its grace
    const pending_since = new Date(Date.now() - (opts.outboxGraceMs ?? 0) - 1);
    const callers: number[] = [];
    const docs: OutboxDocument[] = [];
    batches.forEach((notifications, caller) => {
      for (const n of notifications) {
        callers.push(caller);
        docs.push({ _id: n.event_id, aggregate_id: n.aggregate_id, version: n.version, pending_since });
      }
    });
    const failed: (Error | undefined)[] = batches.map(() => undefined);
    try {
      await outbox.insertMany(docs, { ordered: false });
    } catch (error) {
      const writeErrors = perOperationErrors(error);
      if (writeErrors === undefined) throw error;
      for (const w of writeErrors) {
        const caller = callers[w.index];
        if (caller !== undefined && !isDuplicateKeyCode(w.code)) failed[caller] ??= itemError(w, 'notification outbox entry failed');
      }
    }
    return failed;
  };

  const requeue = createMicroBatcher<readonly RecordedNotification[], Error | undefined, Context>({
    run: tracedBatch(
      mongoBatchSpan(db, OUTBOX_COLLECTION, 'insert', {
        size: (batches) => batches.reduce((n, notifications) => n + notifications.length, 0),
        results: failedParts,
      }),
      requeueBatch,
    ),
    tagOf: callerContext,
    maxBatch: opts.maxBatch ?? 200,
  });

  // Per-caller failures travel as outcomes so that one caller's failed document fails that caller only.
  const submit = createMicroBatcher<Appending, Outcome, Context>({
    run: tracedBatch(
      mongoBatchSpan(db, EVENTS_COLLECTION, 'insert', {
        size: (batch) => batch.reduce((n, a) => n + a.events.length, 0),
        results: appendOutcomes,
      }),
      runBatch,
    ),
    tagOf: callerContext,
    maxBatch: opts.maxBatch ?? 200,
    maxWaitMs: opts.maxWaitMs ?? 0,
  });

  /**
   * A case's state: its snapshot and the events after it, or all of its events when it has no
   * usable snapshot. The snapshot counts only while the event it was taken at is still the one
   * stored at its version (it is read with the first event after it), so a snapshot ahead of the
   * events or of a stream rewritten since (events restored from an older backup, say) is passed over.
   */
  const loadCase = async (case_id: string): Promise<CaseState> => {
    const snapshot = decodeSnapshot(await snapshots.findOne({ _id: case_id }));
    const whole = async () => evolveCase(emptyCase(case_id), await readStream(events, case_id));
    if (snapshot === undefined) return whole();
    const { state, event_id } = snapshot;
    const [head, after] = await Promise.all([
      events.findOne({ _id: positionId(case_id, state.version) }, { projection: { _id: 0, event_id: 1 } }),
      readStream(events, case_id, state.version + 1),
    ]);
    return head?.event_id === event_id ? evolveCase(state, after) : whole();
  };

  /**
   * The events of the oldest outbox entries, each read by its position. An entry whose event is not
   * the one stored at its position (an append a crash left undone halfway, or a redelivery's entry
   * for an event stored at another version, already published) has nothing to publish: it is removed.
   */
  const pendingEvents = async (limit: number, appendedBefore: Date | undefined): Promise<NotificationRequired[]> => {
    const entries = await outbox
      .find(appendedBefore === undefined ? {} : { pending_since: { $lt: appendedBefore } }, {
        sort: { aggregate_id: 1, version: 1 },
        limit,
      })
      .toArray();
    const stored = await Promise.all(
      entries.map((entry) => events.findOne({ _id: positionId(entry.aggregate_id, entry.version) }, { projection })),
    );
    const found: NotificationRequired[] = [];
    const orphans: string[] = [];
    entries.forEach((entry, i) => {
      const doc = stored[i];
      if (doc?.event_id === entry._id) found.push(fromEventDocument(doc) as NotificationRequired);
      else orphans.push(entry._id);
    });
    if (orphans.length > 0) await outbox.deleteMany({ _id: { $in: orphans } });
    return found;
  };

  return {
    append: (appended, state) =>
      appended.length === 0 ? of<AppendResult>({ kind: 'appended', duplicates: 0 }) : submit({ events: appended, state }).pipe(map(unwrap)),
    load: (case_id) => defer(() => loadCase(case_id)),
    eventsAt: (aggregate_id, first, last) =>
      defer(() => readStream(events, aggregate_id, first, last === undefined ? undefined : last - first + 1)),
    markPublished: (event_ids) => (event_ids.length === 0 ? of(undefined) : acknowledge(event_ids)),
    pendingNotifications: (limit, appendedBefore) => defer(() => pendingEvents(limit, appendedBefore)),
    requeue: (notifications) =>
      notifications.length === 0
        ? of(undefined)
        : requeue(notifications).pipe(
            map((error) => {
              if (error !== undefined) throw error;
            }),
          ),
  };
};
