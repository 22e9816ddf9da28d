import type { RecordPosition } from './records.js';

/** A commit to make: `offset` is the next offset to read, as Kafka expects. */
export interface CommitPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

interface PartitionBook {
  /** Offsets received and not yet passed by the commit position, in arrival (= offset) order. */
  readonly open: number[];
  readonly done: Set<number>;
  /** The next offset to read once everything before it is complete. */
  next: number | null;
  committed: number | null;
  /** When the oldest incomplete message (open[0]) became the oldest: the partition's last progress. */
  headSince: number;
}

/** A partition whose oldest incomplete message has been the oldest for a long time (see OffsetLedger.stalled). */
export interface StalledPartition {
  readonly topic: string;
  readonly partition: number;
  /** The oldest incomplete message: the one holding the commit position back. */
  readonly offset: string;
  /** Milliseconds since the partition last made progress. */
  readonly since_ms: number;
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** One position per partition, the furthest: what one commit of several takings sends. */
export const latestPositions = (positions: readonly CommitPosition[]): CommitPosition[] => {
  const latest = new Map<string, CommitPosition>();
  for (const p of positions) {
    const key = partitionKey(p.topic, p.partition);
    const seen = latest.get(key);
    if (!seen || BigInt(p.offset) > BigInt(seen.offset)) latest.set(key, { topic: p.topic, partition: p.partition, offset: p.offset });
  }
  return [...latest.values()];
};

/**
 * Which offsets may be committed: per partition, the highest offset below which every message is
 * complete, plus one. A slow early message holds the commit back even when later ones finish,
 * so a crash never skips work that was not done.
 */
export class OffsetLedger {
  private readonly books = new Map<string, { topic: string; partition: number; book: PartitionBook }>();
  /** Who waits for a partition to be complete through an offset (see completeThrough). */
  private readonly waiters = new Map<string, { readonly offset: string; readonly resolve: () => void }[]>();

  /** `now` is the clock of the stall tracking (tests pass a virtual one). */
  constructor(private readonly now: () => number = Date.now) {}

  private existingBook(p: { topic: string; partition: number }): PartitionBook | undefined {
    return this.books.get(partitionKey(p.topic, p.partition))?.book;
  }

  private bookOf(p: { topic: string; partition: number }): PartitionBook {
    const key = partitionKey(p.topic, p.partition);
    let entry = this.books.get(key);
    if (!entry) {
      entry = { topic: p.topic, partition: p.partition, book: { open: [], done: new Set(), next: null, committed: null, headSince: 0 } };
      this.books.set(key, entry);
    }
    return entry.book;
  }

  /** A message entered the pipeline; call in offset order per partition. */
  track(p: RecordPosition): void {
    const book = this.bookOf(p);
    if (book.open.length === 0) book.headSince = this.now();
    book.open.push(Number(p.offset));
  }

  /** A message is done (processed or dead-lettered); one of a forgotten partition is ignored. */
  complete(p: RecordPosition): void {
    const book = this.existingBook(p);
    const offset = Number(p.offset);
    if (!book || book.open.length === 0 || offset < book.open[0]! || offset > book.open[book.open.length - 1]!) return;
    book.done.add(offset);
    let passed = 0;
    while (passed < book.open.length && book.done.has(book.open[passed]!)) {
      book.done.delete(book.open[passed]!);
      book.next = book.open[passed]! + 1;
      passed += 1;
    }
    if (passed > 0) {
      book.open.splice(0, passed);
      if (book.open.length > 0) book.headSince = this.now();
      this.wake(p.topic, p.partition);
    }
  }

  /** Resolves the waiters of a partition whose offset is now complete. */
  private wake(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    const waiting = this.waiters.get(key);
    if (!waiting) return;
    const still = waiting.filter((w) => !this.isCompleteThrough(topic, partition, w.offset));
    for (const w of waiting) if (!still.includes(w)) w.resolve();
    if (still.length > 0) this.waiters.set(key, still);
    else this.waiters.delete(key);
  }

  /** True when every message of the partition up to and including `offset` is complete (or the partition was forgotten). */
  isCompleteThrough(topic: string, partition: number, offset: string): boolean {
    const book = this.existingBook({ topic, partition });
    if (!book) return true;
    const first = book.open[0];
    return first === undefined || first > Number(offset);
  }

  /**
   * Resolves once `isCompleteThrough` holds: at the completion that makes it true, not at the next
   * look of a poller, because the next fetch waits for it.
   */
  completeThrough(topic: string, partition: number, offset: string): Promise<void> {
    if (this.isCompleteThrough(topic, partition, offset)) return Promise.resolve();
    return new Promise((resolve) => {
      const key = partitionKey(topic, partition);
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), { offset, resolve }]);
    });
  }

  /** Messages received and not yet complete, over all partitions. */
  get inFlight(): number {
    let n = 0;
    for (const { book } of this.books.values()) n += book.open.length - book.done.size;
    return n;
  }

  /**
   * The partitions whose oldest incomplete message has held their commit position for `afterMs` or
   * more: a message retried without end (or stuck) stops its partition, and this names it. Costs
   * one look per partition; no timer per message.
   */
  stalled(afterMs: number): StalledPartition[] {
    const now = this.now();
    const out: StalledPartition[] = [];
    for (const { topic, partition, book } of this.books.values()) {
      const oldest = book.open[0];
      if (oldest !== undefined && now - book.headSince >= afterMs)
        out.push({ topic, partition, offset: String(oldest), since_ms: now - book.headSince });
    }
    return out;
  }

  /**
   * The positions that moved since they were last taken (of one partition when named); taking them
   * marks them committed.
   */
  takeCommittable(only?: { readonly topic: string; readonly partition: number }): CommitPosition[] {
    const out: CommitPosition[] = [];
    for (const { topic, partition, book } of this.books.values()) {
      if (only && (only.topic !== topic || only.partition !== partition)) continue;
      if (book.next !== null && book.next !== book.committed) {
        out.push({ topic, partition, offset: String(book.next) });
        book.committed = book.next;
      }
    }
    return out;
  }

  /** Forgets a partition (it was revoked): its open messages will be redelivered to its next owner. */
  forget(topic: string, partition: number): void {
    this.books.delete(partitionKey(topic, partition));
    this.wake(topic, partition);
  }
}
