import type { Db } from 'mongodb';
import { lastValueFrom } from 'rxjs';
import { projectEvents, ReadModelNames } from '../../domain/projections.js';
import type { DomainEvent } from '../../domain/events.js';
import { dropSnapshots } from './caseSnapshots.js';
import { eventsCollection } from './eventStore.js';
import { createMongoReadModelStore } from './readModelStore.js';
import { projectionPass, type PassCount } from './replay/projectionPass.js';
import { createFresh, dropAside, dropHalfBuilt, freshPrefix, keptAside, swapIn } from './replay/replayCollections.js';
import { acquireReplayLock } from './replay/replayLock.js';
import { settleLive } from './replay/settleLive.js';
import { StreamPositions } from './replay/streamPositions.js';

export type ReplayPhase = 'rebuild' | 'catch-up' | 'swap' | 'final catch-up';

export interface ReplayProgress extends PassCount {
  readonly phase: ReplayPhase;
  /** 0 for the rebuild, then 1, 2, … for the catch-up passes. */
  readonly pass: number;
  /** The events in `domain_events` when the pass started. */
  readonly total: number;
}

export interface ReplayResult {
  /** Events projected into the read models by the replay, all passes together. */
  readonly events: number;
  /** Catch-up passes run before the swap. */
  readonly catch_up_passes: number;
  /** Events held back at the end because an earlier version of their stream was never seen. */
  readonly held_back: number;
  /** Live documents the final catch-up rebuilt from their stream. */
  readonly settled: number;
  /** Documents in each read model when it was swapped in. */
  readonly documents: Readonly<Record<string, number>>;
  /** Half-built collections of an earlier, interrupted run, dropped before starting. */
  readonly cleaned: readonly string[];
  /** Case snapshots dropped before starting (see dropSnapshots). */
  readonly snapshots_dropped: number;
  /** Read models replaced by this run (unless dropOld) and earlier ones, kept under these names. */
  readonly kept: readonly string[];
}

export interface ReplayOptions {
  /** The read-model store's path (see MongoReadModelStoreOptions.guards). */
  readonly guards: 'server' | 'client';
  /** Create only the constraint indexes (FerretDB, see IndexOptions). */
  readonly constraintsOnly: boolean;
  readonly batchSize?: number;
  /** Drop the replaced read models instead of keeping them aside. */
  readonly dropOld?: boolean;
  /** Interrupts the replay before the swap: its collections are dropped, the live ones untouched. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ReplayProgress) => void;
  /** Catch-up passes at most before the swap (default 10). */
  readonly maxCatchUpPasses?: number;
  /** See SettleOptions.graceMs. */
  readonly graceMs?: number;
}

/**
 * Rebuilds every read model from `domain_events` while the service keeps running:
 *
 * 1. projects every event, stream by stream in version order, into fresh `replay_<run>_<model>`
 *    collections, recording each stream's last projected version (StreamPositions);
 * 2. catch-up passes project what was appended meanwhile (versions beyond those recorded, new
 *    streams included), until a pass finds nothing new or no less than the one before (traffic
 *    keeps pace: the final catch-up takes the rest);
 * 3. swaps the fresh collections in (see swapIn), keeping the replaced ones aside;
 * 4. the final catch-up applies, to the now-live collections, the events the passes had not
 *    projected, which the service may have projected into the collections set aside (see
 *    settleLive).
 *
 * One replay at a time (a lock in the database); an earlier run's half-built collections are
 * dropped at the start, and so are the case snapshots: like the read models they are built from the
 * events by the code that wrote them, so none an earlier version folded may serve a load after it.
 * Interrupted before the swap (`signal`), it drops its own collections; after the swap it
 * finishes, since the live collections then depend on the final catch-up.
 */
export const replayReadModels = async (db: Db, options: ReplayOptions): Promise<ReplayResult> => {
  const run = String(Date.now());
  const lock = await acquireReplayLock(db, run);
  try {
    const cleaned = await dropHalfBuilt(db);
    const snapshots_dropped = await dropSnapshots(db);
    const positions = new StreamPositions();
    const batchSize = options.batchSize ?? 1000;
    const events = eventsCollection(db);
    const pass = async (phase: ReplayPhase, n: number, sink: (batch: readonly DomainEvent[]) => Promise<void>, signal?: AbortSignal) => {
      const total = await events.estimatedDocumentCount();
      options.onProgress?.({ phase, pass: n, total, read: 0, projected: 0, held: 0 });
      return projectionPass(events, positions, sink, {
        batchSize,
        ...(signal ? { signal } : {}),
        onBatch: (count) => {
          options.onProgress?.({ phase, pass: n, total, ...count });
          void lock.heartbeat().catch(() => undefined);
        },
      });
    };

    const store = createMongoReadModelStore(db, { collectionPrefix: freshPrefix(run), maxBatch: 50, guards: options.guards });
    const intoFresh = async (batch: readonly DomainEvent[]) => {
      await lastValueFrom(store.apply(projectEvents(batch)), { defaultValue: undefined });
    };
    let projected = 0;
    let passes = 0;
    let last: PassCount;
    try {
      await createFresh(db, run, { constraintsOnly: options.constraintsOnly });
      last = await pass('rebuild', 0, intoFresh, options.signal);
      projected += last.projected;
      for (let previous = Infinity; last.projected > 0 && last.projected < previous && passes < (options.maxCatchUpPasses ?? 10);) {
        previous = last.projected;
        passes += 1;
        last = await pass('catch-up', passes, intoFresh, options.signal);
        projected += last.projected;
      }
    } catch (error) {
      await dropHalfBuilt(db, run);
      throw error;
    }

    const documents: Record<string, number> = {};
    for (const name of ReadModelNames) documents[name] = await db.collection(`${freshPrefix(run)}${name}`).countDocuments();
    options.onProgress?.({ phase: 'swap', pass: passes, total: 0, read: 0, projected: 0, held: 0 });
    const aside = await swapIn(db, run);

    const late: DomainEvent[] = [];
    last = await pass('final catch-up', passes + 1, async (batch) => {
      for (const e of batch) late.push(e);
    });
    const settled = await settleLive(db, late, {
      guards: options.guards,
      ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    });
    if (options.dropOld) await dropAside(db, aside);
    return {
      events: projected + late.length,
      catch_up_passes: passes,
      held_back: last.held,
      settled,
      documents,
      cleaned,
      snapshots_dropped,
      kept: await keptAside(db),
    };
  } finally {
    await lock.release();
  }
};
