import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collection, Db, Document } from 'mongodb';
import { lastValueFrom } from 'rxjs';
import type { DomainEvent } from '../../../domain/events.js';
import {
  appliedField,
  applyWrite,
  projectEvent,
  projectEvents,
  type ReadModelWrite,
  type StreamKind,
} from '../../../domain/projections.js';
import { documentsById } from '../documentsById.js';
import { eventsCollection, fromEventDocument } from '../eventStore.js';
import { createMongoReadModelStore, type ReadModelDocument } from '../readModelStore.js';
import { isDuplicateKeyCode } from '../writeErrors.js';

/** A document that guarded writes change, the stream that writes it, and how far the replay read that stream. */
interface GuardedDocument {
  readonly collection: ReadModelWrite['collection'];
  readonly id: string;
  readonly aggregate_id: string;
  readonly stream: StreamKind;
  readonly seen: number;
}

export interface SettleOptions {
  readonly guards: 'server' | 'client';
  /**
   * How long the service is given to project the events the final catch-up has read before their
   * documents are compared with them (default 2 s), and again after each rewrite.
   */
  readonly graceMs?: number;
  /** Rounds of rewrites before giving up (default 10). */
  readonly attempts?: number;
}

const keyOf = (d: { collection: string; id: string }): string => `${d.collection}\u0000${d.id}`;

/**
 * The final catch-up, on the live collections after the swap, with the service writing to them:
 * applies the events appended while the replay ran that it had not projected (`events`, each
 * stream's next versions, read after the swap).
 *
 * Unguarded writes are upserts of set/max/onInsert fields: idempotent and indifferent to order, so
 * they are simply applied (the service may apply the same ones). Guarded writes are not: one
 * applied after a later one of its stream is a no-op. The service projected some of these events
 * before the swap, into the collections now set aside (or, during the swap, into none), and
 * projects the later ones into the live collections, on top of a document that lacks them.
 *
 * So, after `graceMs` (time for the service to project what was read), each document a guarded
 * write changes is compared with what its stream makes of it up to the version read or, if the
 * document has applied a later one, up to that one (a document changed by guarded writes is
 * written by one stream only: a document requirement by its case). One that differs has lost an
 * event: it is replaced by the stream's version, compare-and-set on its applied version, and
 * looked at again after `graceMs`, until it no longer differs. On MongoDB the compare-and-set makes
 * a replace that races a service write miss. On FerretDB v1, whose updates read, apply and replace
 * without being atomic, a service write racing the replace can undo it (seen under traffic): the
 * next look finds it and replaces again. What remains there: with client-checked guards (which
 * skip the check for a message's first projection) a service that takes longer than `graceMs` to
 * project an event the replace already holds pushes its notes twice. A document the service
 * changes again within every read of its stream (seen at one change every 0.5 s on FerretDB) is
 * not settled after `attempts` rounds: the replay then fails naming it, to be run again when
 * quieter.
 *
 * Resolves with the number of documents rewritten.
 */
export const settleLive = async (db: Db, events: readonly DomainEvent[], options: SettleOptions): Promise<number> => {
  const seen = new Map<string, number>();
  for (const e of events) seen.set(e.aggregate_id, Math.max(e.version, seen.get(e.aggregate_id) ?? 0));
  const writes = events.flatMap((e) => projectEvent(e).map((w) => ({ w, aggregate_id: e.aggregate_id })));
  const guarded = new Map<string, GuardedDocument>();
  for (const { w, aggregate_id } of writes) {
    if (w.guard)
      guarded.set(keyOf(w), { collection: w.collection, id: w.id, aggregate_id, stream: w.guard.stream, seen: seen.get(aggregate_id)! });
  }
  const store = createMongoReadModelStore(db, { guards: options.guards, maxBatch: 50 });
  await lastValueFrom(store.apply(writes.filter(({ w }) => !guarded.has(keyOf(w))).map(({ w }) => w)), { defaultValue: undefined });

  let pending = [...guarded.values()];
  let rewritten = 0;
  for (let round = 0; pending.length > 0; round += 1) {
    if (round > (options.attempts ?? 10))
      throw new Error(
        `the final catch-up could not settle ${pending.length} document(s), e.g. ${pending[0]!.collection}/${pending[0]!.id}`,
      );
    await sleep(options.graceMs ?? 2_000);
    // The documents first, then their streams: a stream read after its document holds every event
    // the document has applied (the service appends before it projects).
    const stored = new Map<string, Document>();
    for (const [collection, ids] of idsByCollection(pending)) {
      for (const [id, doc] of await documentsById(db.collection<ReadModelDocument>(collection), ids))
        stored.set(keyOf({ collection, id }), doc);
    }
    const streams = await streamsOf(db, [...new Set(pending.map((d) => d.aggregate_id))]);
    const unsettled: GuardedDocument[] = [];
    for (const doc of pending) {
      const outcome = await settleOne(db, doc, stored.get(keyOf(doc)) ?? null, streams.get(doc.aggregate_id) ?? []);
      if (outcome === 'rewritten') rewritten += 1;
      if (outcome !== 'settled') unsettled.push(doc);
    }
    pending = unsettled;
  }
  return rewritten;
};

const idsByCollection = (docs: readonly GuardedDocument[]): Map<string, string[]> => {
  const ids = new Map<string, string[]>();
  for (const d of docs) ids.set(d.collection, [...(ids.get(d.collection) ?? []), d.id]);
  return ids;
};

const appliedVersion = (doc: Document | null, stream: StreamKind): number => {
  const v = (doc?.['applied'] as Record<string, unknown> | undefined)?.[stream];
  return typeof v === 'number' ? v : 0;
};

/** Quick tries at one document that the service keeps writing, before it waits for the next round. */
const QUICK_TRIES = 5;

/**
 * Compares one document with what its stream makes of it, up to the version read or the later one
 * it applied, and replaces it when it differs: `settled` (equal), `rewritten` (to be looked at
 * again), `retry` (the service kept writing it: next round). A document that moved on beyond the
 * stream as read has its stream read again, after it.
 */
const settleOne = async (
  db: Db,
  doc: GuardedDocument,
  first: Document | null,
  firstStream: readonly DomainEvent[],
): Promise<'settled' | 'rewritten' | 'retry'> => {
  const collection = db.collection<ReadModelDocument>(doc.collection);
  let [stored, stream] = [first, firstStream];
  for (let attempt = 0; attempt < QUICK_TRIES; attempt += 1) {
    if (attempt > 0) stored = await collection.findOne({ _id: doc.id });
    const upTo = Math.max(doc.seen, appliedVersion(stored, doc.stream));
    if (upTo > (stream.at(-1)?.version ?? 0)) stream = (await streamsOf(db, [doc.aggregate_id])).get(doc.aggregate_id) ?? [];
    const expected = projectEvents(stream.filter((e) => e.version <= upTo))
      .filter((w) => w.collection === doc.collection && w.id === doc.id)
      .reduce<Document | undefined>((acc, w) => applyWrite(acc, w), undefined);
    const { _id: _ignored, ...fields } = stored ?? {};
    if (expected === undefined || (stored !== null && isDeepStrictEqual(fields, expected))) return 'settled';
    if (await replaceIfUnchanged(collection, doc, stored, expected)) return 'rewritten';
  }
  return 'retry';
};

/** The whole streams, in version order (one read for all of them). */
const streamsOf = async (db: Db, aggregate_ids: readonly string[]): Promise<Map<string, DomainEvent[]>> => {
  const streams = new Map<string, DomainEvent[]>(aggregate_ids.map((id) => [id, []]));
  if (aggregate_ids.length === 0) return streams;
  const docs = await eventsCollection(db)
    .find({ aggregate_id: { $in: [...aggregate_ids] } })
    .sort({ _id: 1 })
    .toArray();
  for (const d of docs) streams.get(d.aggregate_id)?.push(fromEventDocument(d));
  return streams;
};

/** Replaces (or inserts) the document unless its applied version changed since it was read. */
const replaceIfUnchanged = async (
  collection: Collection<ReadModelDocument>,
  doc: GuardedDocument,
  current: Document | null,
  expected: Document,
): Promise<boolean> => {
  if (current === null) {
    try {
      await collection.insertOne({ ...expected, _id: doc.id }, { ignoreUndefined: true });
      return true;
    } catch (error) {
      if (isDuplicateKeyCode((error as { code?: unknown }).code)) return false;
      throw error;
    }
  }
  const applied = appliedVersion(current, doc.stream);
  const result = await collection.replaceOne(
    { _id: doc.id, [appliedField(doc.stream)]: applied === 0 ? { $exists: false } : applied },
    expected,
    { ignoreUndefined: true },
  );
  return result.matchedCount === 1;
};
