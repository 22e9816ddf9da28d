import type { DomainEvent } from '../../src/domain/events.js';
import { contentDiffers } from '../../src/domain/keyReuse.js';
import type { AppendResult } from '../../src/streams/ports.js';

/** How an in-memory event store finds what it holds. */
export interface StoredEvents {
  byId(event_id: string): DomainEvent | undefined;
  at(aggregate_id: string, version: number): DomainEvent | undefined;
}

/**
 * What appending `events` to an in-memory store comes to, by the rules of the MongoDB adapter
 * (test/contract/eventStoreContract.ts holds them all together), and the events to store: an
 * event_id already stored (or met earlier in the append) is a duplicate, or `key-reused` when its
 * content hash differs; another event at a taken version (or at a version met earlier in the
 * append) is a `conflict`; a reused key wins over a conflict; a refused append stores nothing.
 * Shared by the test fakes and the operator benchmark's ports; each keeps its own storage.
 */
export const inMemoryAppend = (stored: StoredEvents, events: readonly DomainEvent[]): { result: AppendResult; fresh: DomainEvent[] } => {
  const fresh = new Map<string, DomainEvent>();
  const freshPositions = new Set<string>();
  let duplicates = 0;
  let conflict: AppendResult | undefined;
  for (const e of events) {
    const same = stored.byId(e.event_id) ?? fresh.get(e.event_id);
    const position = `${e.aggregate_id}\u0000${e.version}`;
    if (same !== undefined) {
      if (contentDiffers(same.metadata.content_hash, e.metadata.content_hash)) return { result: { kind: 'key-reused' }, fresh: [] };
      duplicates += 1;
    } else if (stored.at(e.aggregate_id, e.version) !== undefined || freshPositions.has(position)) {
      conflict ??= { kind: 'conflict', aggregate_id: e.aggregate_id, version: e.version };
    } else {
      fresh.set(e.event_id, e);
      freshPositions.add(position);
    }
  }
  return conflict === undefined
    ? { result: { kind: 'appended', duplicates }, fresh: [...fresh.values()] }
    : { result: conflict, fresh: [] };
};
