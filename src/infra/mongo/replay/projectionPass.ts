import type { Collection } from 'mongodb';
import type { DomainEvent } from '../../../domain/events.js';
import { fromEventDocument, type EventDocument } from '../eventStore.js';
import type { StreamPositions } from './streamPositions.js';

export interface PassCount {
  /** Events read from `domain_events` so far. */
  readonly read: number;
  /** Of them, the new ones handed to the sink (each stream's next versions). */
  readonly projected: number;
  /** Of them, those held back behind a version not visible yet (see StreamPositions). */
  readonly held: number;
}

export interface PassOptions {
  readonly batchSize: number;
  /** Checked between batches: an aborted pass stops with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onBatch?: (count: PassCount) => void;
}

/**
 * One pass over `domain_events` in `_id` order (each stream in version order, see positionId):
 * hands the events that `positions` finds new to `sink`, a batch at a time, in order. A pass reads
 * the whole collection: no field tells when an event was appended (`timestamp` is the record's
 * time), so a catch-up pass costs a full read, like the rebuild.
 */
export const projectionPass = async (
  events: Collection<EventDocument>,
  positions: StreamPositions,
  sink: (batch: readonly DomainEvent[]) => Promise<void>,
  options: PassOptions,
): Promise<PassCount> => {
  let count: PassCount = { read: 0, projected: 0, held: 0 };
  let batch: DomainEvent[] = [];
  let read = 0;
  const flush = async () => {
    const taken = batch;
    batch = [];
    if (taken.length > 0) await sink(taken);
    count = { ...count, read, projected: count.projected + taken.length };
    options.onBatch?.(count);
    options.signal?.throwIfAborted();
  };
  for await (const doc of events.find({}).sort({ _id: 1 }).batchSize(options.batchSize)) {
    read += 1;
    const verdict = positions.take(doc);
    if (verdict === 'next') batch.push(fromEventDocument(doc));
    else if (verdict === 'held') count = { ...count, held: count.held + 1 };
    if (read % options.batchSize === 0) await flush();
  }
  await flush();
  return count;
};
