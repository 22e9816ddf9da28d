import type { RecordMetadata } from 'kafkajs';
import type { Expectations } from '../common/oracle.js';
import { percentile } from '../common/stats.js';
import type { Workload } from '../common/workload.js';

export type InboundKind = 'client' | 'command';

interface PartitionBook {
  /** Message indexes in offset order, with their offsets. */
  readonly offsets: number[];
  readonly indexes: number[];
  /** The next offset to be produced (= the log end offset once the sends are acknowledged). */
  end: number;
  /** Position in `offsets` of the first message not yet seen committed. */
  cursor: number;
}

export interface LatencySummary {
  readonly n: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

const summarize = (values: number[]): LatencySummary => ({
  n: values.length,
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  max: values.length === 0 ? null : values.reduce((a, b) => Math.max(a, b), -Infinity),
});

/**
 * The bookkeeping of one run: when each message was (due to be) produced, where it landed, when
 * its notification was seen and when the contender's committed offset passed it. A message is
 * done when both have happened (only the commit for messages without a notification).
 */
export class RunTracker {
  readonly producedAt: Float64Array;
  readonly notifiedAt: Float64Array;
  readonly committedAt: Float64Array;
  private readonly books: Record<InboundKind, PartitionBook[]>;
  private readonly byMessageId = new Map<string, number>();
  notificationsSeen = 0;
  /** Notifications for messages the bench does not know, or seen again (at-least-once delivery). */
  duplicateNotifications = 0;
  unknownNotifications = 0;
  producedClients = 0;
  producedCommands = 0;

  constructor(
    readonly workload: Workload,
    readonly expect: Expectations,
    partitions: number,
  ) {
    const n = workload.messages.length;
    this.producedAt = new Float64Array(n).fill(NaN);
    this.notifiedAt = new Float64Array(n).fill(NaN);
    this.committedAt = new Float64Array(n).fill(NaN);
    const books = () => Array.from({ length: partitions }, (): PartitionBook => ({ offsets: [], indexes: [], end: 0, cursor: 0 }));
    this.books = { client: books(), command: books() };
    for (const m of workload.messages) this.byMessageId.set(m.messageId, m.index);
  }

  /**
   * One send's messages (in the order they were given to the producer) and kafkajs's answer: per
   * partition the base offset, the messages of that partition following it in order.
   */
  produced(kind: InboundKind, indexes: readonly number[], results: readonly RecordMetadata[], dueAt: (index: number) => number): void {
    const base = new Map(results.map((r) => [r.partition, Number(r.baseOffset)]));
    const next = new Map<number, number>();
    for (const index of indexes) {
      const m = this.workload.messages[index]!;
      const first = base.get(m.partition);
      if (first === undefined) throw new Error(`no produce result for partition ${m.partition}`);
      const offset = next.get(m.partition) ?? first;
      next.set(m.partition, offset + 1);
      const book = this.books[kind][m.partition]!;
      // sends to one topic are serialised, so offsets arrive in order; insert in place otherwise
      let at = book.offsets.length;
      while (at > book.cursor && book.offsets[at - 1]! > offset) at -= 1;
      book.offsets.splice(at, 0, offset);
      book.indexes.splice(at, 0, index);
      book.end = Math.max(book.end, offset + 1);
      this.producedAt[index] = dueAt(index);
      if (kind === 'client') this.producedClients += 1;
      else this.producedCommands += 1;
    }
  }

  /** A notification seen on the contender's topic; returns the message's follow-up commands the first time. */
  notified(headers: { eventId?: string; messageId?: string }, at: number): readonly number[] {
    const index =
      (headers.eventId === undefined ? undefined : this.expect.notificationIndex.get(headers.eventId)) ??
      (headers.messageId === undefined ? undefined : this.byMessageId.get(headers.messageId));
    if (index === undefined) {
      this.unknownNotifications += 1;
      return [];
    }
    if (!Number.isNaN(this.notifiedAt[index]!)) {
      this.duplicateNotifications += 1;
      return [];
    }
    this.notifiedAt[index] = at;
    this.notificationsSeen += 1;
    return this.workload.messages[index]!.followUps;
  }

  /** The contender's committed offset (the next one it will read) of a partition, as seen at `at`. */
  committed(kind: InboundKind, partition: number, offset: number, at: number): void {
    const book = this.books[kind][partition];
    if (!book) return;
    while (book.cursor < book.offsets.length && book.offsets[book.cursor]! < offset) {
      this.committedAt[book.indexes[book.cursor]!] = at;
      book.cursor += 1;
    }
  }

  /** Every message produced, every expected notification seen, every partition committed to its end. */
  get done(): boolean {
    if (this.producedClients < this.workload.clients || this.producedCommands < this.workload.commands) return false;
    if (this.notificationsSeen < this.expect.expectedNotifications) return false;
    for (const kind of ['client', 'command'] as const) {
      for (const book of this.books[kind]) if (book.cursor < book.offsets.length) return false;
    }
    return true;
  }

  /** When message `i` was complete: its commit seen and, when it has one, its notification seen. */
  doneAt(i: number): number {
    const committed = this.committedAt[i]!;
    return this.expect.perMessage[i]!.notifications > 0 ? Math.max(committed, this.notifiedAt[i]!) : committed;
  }

  get completed(): number {
    let n = 0;
    for (let i = 0; i < this.workload.messages.length; i++) if (!Number.isNaN(this.doneAt(i))) n += 1;
    return n;
  }

  /**
   * Latencies in ms from `start(i)` (the produce time, or for a pre-produced backlog the moment the
   * contender could start) to the message being done, and to its notification being seen.
   */
  latencies(start: (i: number) => number): {
    done: LatencySummary;
    notification: LatencySummary;
    doneClientMessages: LatencySummary;
    doneCommands: LatencySummary;
  } {
    const done: number[] = [];
    const notification: number[] = [];
    const byKind: Record<InboundKind, number[]> = { client: [], command: [] };
    for (let i = 0; i < this.workload.messages.length; i++) {
      const s = start(i);
      const d = this.doneAt(i);
      if (!Number.isNaN(d) && !Number.isNaN(s)) {
        done.push(d - s);
        byKind[this.workload.messages[i]!.kind].push(d - s);
      }
      const n = this.notifiedAt[i]!;
      if (!Number.isNaN(n) && !Number.isNaN(s)) notification.push(n - s);
    }
    return {
      done: summarize(done),
      notification: summarize(notification),
      doneClientMessages: summarize(byKind.client),
      doneCommands: summarize(byKind.command),
    };
  }
}
