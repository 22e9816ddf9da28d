import {
  asyncScheduler,
  catchError,
  defer,
  exhaustMap,
  expand,
  last,
  map,
  of,
  reduce,
  tap,
  EMPTY,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { NotificationRequired } from '../domain/events.js';
import type { NotificationPublisher } from './ports.js';

export interface OutboxStore {
  /**
   * Stored notifications not yet acknowledged by Kafka, appended before `appendedBefore`, in case
   * order ((aggregate_id, version)), at most `limit`.
   */
  pendingNotifications(limit: number, appendedBefore: Date): Observable<NotificationRequired[]>;
}

export interface OutboxRelayOptions {
  readonly intervalMs: number;
  readonly batchSize: number;
  /** Notifications younger than this are left to the pipeline's fast path, which is about to publish them. */
  readonly graceMs: number;
  readonly scheduler?: SchedulerLike;
  readonly now?: () => number;
}

export type RelayReport =
  | { readonly kind: 'relayed'; readonly published: number }
  | { readonly kind: 'failed'; readonly published: number; readonly error: unknown };

/**
 * The outbox relay: every `intervalMs`, publishes every notification that is stored but was never
 * acknowledged (a crash between append and publish, Kafka down at the time), batch after batch in
 * case order, until none is left; the publisher records each acknowledgement. A failure ends the
 * round and the next round tries again. A round never overlaps the previous one.
 */
export const outboxRelay = (store: OutboxStore, publisher: NotificationPublisher, options: OutboxRelayOptions): Observable<RelayReport> => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = options.now ?? (() => scheduler.now());
  const batch = (): Observable<number> =>
    defer(() => store.pendingNotifications(options.batchSize, new Date(now() - options.graceMs))).pipe(
      exhaustMap((events) => (events.length === 0 ? of(0) : publisher.publish(events).pipe(reduce(() => events.length, events.length)))),
    );
  const round = (): Observable<RelayReport> => {
    let published = 0;
    return batch().pipe(
      tap((n) => (published += n)),
      expand((n) => (n === options.batchSize ? batch().pipe(tap((m) => (published += m))) : EMPTY)),
      last(null, 0),
      map((): RelayReport => ({ kind: 'relayed', published })),
      catchError((error: unknown) => of<RelayReport>({ kind: 'failed', published, error })),
    );
  };
  return timer(0, options.intervalMs, scheduler).pipe(exhaustMap(round));
};
