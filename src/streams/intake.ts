import { concatMap, Observable, of, type OperatorFunction, type Subscription } from 'rxjs';
import { ByteBudget } from '../lib/byteBudget.js';
import { FifoQueue } from '../lib/fifoQueue.js';
import { Semaphore } from '../lib/semaphore.js';
import { OffsetLedger, type CommitPosition, type StalledPartition } from './offsetLedger.js';
import { describePosition, headerBytes, type InboundRecord, type RecordPosition } from './records.js';

export interface IntakeOptions {
  /** MAX_IN_FLIGHT_MESSAGES: messages between the consumer and their completion. */
  readonly maxMessages: number;
  /** MAX_IN_FLIGHT_BYTES: bytes of those messages (key, value, headers); unbounded when absent. */
  readonly maxBytes?: number;
  /** The clock of the stall tracking (tests pass a virtual one). */
  readonly now?: () => number;
}

/** What a record weighs against MAX_IN_FLIGHT_BYTES: its key, value and headers. */
export const recordBytes = (r: InboundRecord): number => (r.key?.length ?? 0) + (r.value?.length ?? 0) + headerBytes(r);

/**
 * The one owner of what is in flight between the Kafka consumer and the commit: a message enters
 * only with a credit and its bytes (so a full pipeline stops fetching), is tracked in the offset
 * ledger, and at its completion gives both back and may move its partition's commit position.
 * The Kafka source admits, the consume loop completes and commits; tests and the operator
 * benchmark drive the same object through `admitted`.
 */
export class Intake {
  private readonly credits: Semaphore;
  private readonly bytes: ByteBudget | undefined;
  private readonly ledger: OffsetLedger;

  constructor(options: IntakeOptions) {
    this.credits = new Semaphore(options.maxMessages);
    this.bytes = options.maxBytes === undefined ? undefined : new ByteBudget(options.maxBytes);
    this.ledger = new OffsetLedger(options.now);
  }

  /**
   * Admits the record at once when a credit and its bytes are both free (and nobody waits before
   * it): it is then tracked and must be completed. False, holding nothing, otherwise.
   */
  tryAdmit(record: InboundRecord): boolean {
    if (!this.credits.tryAcquire()) return false;
    if (this.bytes !== undefined && !this.bytes.tryTake(describePosition(record), recordBytes(record))) {
      this.credits.release();
      return false;
    }
    this.ledger.track(record);
    return true;
  }

  /**
   * Emits once the record holds a credit and then its bytes, and completes: true once it is
   * tracked (it must then be completed), false when `wanted` says no at that moment (everything
   * taken is given back). Unsubscribing before also gives back what was taken. Records of one
   * partition must be admitted in offset order.
   */
  admit(record: InboundRecord, wanted: () => boolean = () => true): Observable<boolean> {
    return new Observable<boolean>((subscriber) => {
      let credit = false;
      let funded = false;
      let settled = false;
      const key = describePosition(record);
      const giveBack = () => {
        if (credit) this.credits.release();
        if (funded) this.bytes?.give(key);
        credit = funded = false;
      };
      const wait = this.credits
        .acquire()
        .pipe(
          concatMap(() => {
            credit = true;
            return this.bytes === undefined ? of(undefined) : this.bytes.take(key, recordBytes(record));
          }),
        )
        .subscribe(() => {
          funded = this.bytes !== undefined;
          settled = true;
          const keep = wanted();
          if (keep) this.ledger.track(record);
          else giveBack();
          subscriber.next(keep);
          subscriber.complete();
        });
      return () => {
        wait.unsubscribe();
        if (!settled) giveBack();
      };
    });
  }

  /** The message is done (processed or dead-lettered): its credit and bytes go back, its offset may be committed. */
  complete(position: RecordPosition): void {
    this.ledger.complete(position);
    this.credits.release();
    this.bytes?.give(describePosition(position));
  }

  /** The positions that moved since they were last taken (of one partition when named); taking them marks them committed. */
  takeCommittable(only?: { readonly topic: string; readonly partition: number }): CommitPosition[] {
    return this.ledger.takeCommittable(only);
  }

  /** Resolves once every message of the partition through `offset` is complete (or the partition was forgotten). */
  completeThrough(topic: string, partition: number, offset: string): Promise<void> {
    return this.ledger.completeThrough(topic, partition, offset);
  }

  /** Partitions whose oldest incomplete message has held their commit position for `afterMs` or more. */
  stalled(afterMs: number): StalledPartition[] {
    return this.ledger.stalled(afterMs);
  }

  /** Messages admitted and not yet complete. */
  get messagesInFlight(): number {
    return this.ledger.inFlight;
  }

  /** Bytes of the messages admitted and not yet complete. */
  get bytesInFlight(): number {
    return this.bytes?.inUse ?? 0;
  }
}

/**
 * Passes the records on in order, each once the intake admits it: at once while a credit and its
 * bytes are free (`tryAdmit`, as the Kafka source does), otherwise when `admit` grants them, the
 * records behind it waiting their turn. The path of tests and the operator benchmark.
 */
export const admitted =
  (intake: Intake): OperatorFunction<InboundRecord, InboundRecord> =>
  (records) =>
    new Observable<InboundRecord>((subscriber) => {
      const queued = new FifoQueue<InboundRecord>();
      let waiting: Subscription | undefined;
      let admitting = false;
      let sourceDone = false;
      // One loop admits, so that records whose work completes at once do not recurse.
      const admitQueued = (): void => {
        if (admitting) return;
        admitting = true;
        while (waiting === undefined && queued.length > 0 && !subscriber.closed) {
          const record = queued.shift()!;
          if (intake.tryAdmit(record)) {
            subscriber.next(record);
            continue;
          }
          let granted = false;
          const wait = intake.admit(record).subscribe(() => {
            granted = true;
            waiting = undefined;
            subscriber.next(record);
            admitQueued();
          });
          if (!granted) waiting = wait;
        }
        admitting = false;
        if (sourceDone && waiting === undefined && queued.length === 0) subscriber.complete();
      };
      const source = records.subscribe({
        next: (record) => {
          queued.push(record);
          admitQueued();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          admitQueued();
        },
      });
      return () => {
        source.unsubscribe();
        waiting?.unsubscribe();
      };
    });
