import { catchError, concatMap, defer, from, mergeMap, of, throwError, type Observable } from 'rxjs';
import { caseCreatedTrigger, decideNotification, notificationSubjectFromHistory, ruleContext } from '../domain/decideNotification.js';
import type { DomainEvent } from '../domain/events.js';
import { afterDone } from '../operators/afterDone.js';
import { VersionConflict, type EventStore, type NotificationPublisher, type RuleLookup } from './ports.js';

export interface OpenLookupFailure {
  readonly _id: string;
  readonly case_id: string;
  readonly trigger: string;
}

export interface LookupFailureQueue {
  open(limit: number): Observable<OpenLookupFailure[]>;
  resolve(id: string, outcome: string): Observable<void>;
  stillFailing(id: string, reason: string): Observable<void>;
}

export interface RetryPorts {
  readonly failures: LookupFailureQueue;
  readonly rules: RuleLookup;
  readonly eventStore: EventStore;
  readonly notifications: NotificationPublisher;
}

export type RetryOutcome =
  | { readonly case_id: string; readonly trigger: string; readonly outcome: 'notified'; readonly event_id: string }
  | { readonly case_id: string; readonly trigger: string; readonly outcome: 'already-notified' | 'no-rule' | 'case-missing' }
  | { readonly case_id: string; readonly trigger: string; readonly outcome: 'still-failing'; readonly reason: string };

const lastVersion = (events: readonly DomainEvent[], case_id: string) =>
  events.filter((e) => e.aggregate_id === case_id).reduce((v, e) => Math.max(v, e.version), 0);

/**
 * Asks again for the rule of every case whose lookup failed, and records and publishes the
 * notification that now matches. Failures are one per case and trigger, so retrying several at
 * once never races within a case (and a version conflict would decide again anyway). The notification's id is the one the pipeline would have given
 * it, so whatever happens — a retry run twice, a redelivered message — a case gets it once.
 */
export const retryLookupFailures = (
  ports: RetryPorts,
  options: {
    readonly limit: number;
    readonly maxConflictRetries: number;
    /** How many cases are retried at once (default 1); their reads and writes share round trips. */
    readonly concurrency?: number;
  },
): Observable<RetryOutcome> => {
  const notify = (f: OpenLookupFailure, attempt: number): Observable<RetryOutcome> =>
    ports.eventStore.load(f.case_id).pipe(
      concatMap((history) => {
        const subject = notificationSubjectFromHistory(history);
        if (!subject || caseCreatedTrigger(subject) !== f.trigger) return of<RetryOutcome>({ case_id: f.case_id, trigger: f.trigger, outcome: 'case-missing' });
        return ports.rules.ruleFor(f.trigger, ruleContext(subject)).pipe(
          concatMap((answer): Observable<RetryOutcome> => {
            if (answer.kind === 'unavailable') return of({ case_id: f.case_id, trigger: f.trigger, outcome: 'still-failing', reason: answer.reason });
            if (answer.kind === 'no-rule') return of({ case_id: f.case_id, trigger: f.trigger, outcome: 'no-rule' });
            const event = decideNotification(subject, answer.rule, lastVersion(history, f.case_id));
            if (history.some((e) => e.event_id === event.event_id)) return of({ case_id: f.case_id, trigger: f.trigger, outcome: 'already-notified' });
            return ports.eventStore.append([event]).pipe(
              concatMap((result) => {
                if (result.kind === 'conflict') return throwError(() => new VersionConflict(result.aggregate_id, result.version));
                return afterDone(ports.notifications.publish([event]), { case_id: f.case_id, trigger: f.trigger, outcome: 'notified' as const, event_id: event.event_id });
              }),
            );
          }),
        );
      }),
      catchError((error: unknown) =>
        error instanceof VersionConflict && attempt < options.maxConflictRetries ? notify(f, attempt + 1) : throwError(() => error),
      ),
    );

  const settle = (f: OpenLookupFailure, outcome: RetryOutcome): Observable<RetryOutcome> =>
    afterDone(
      outcome.outcome === 'still-failing'
        ? ports.failures.stillFailing(f._id, outcome.reason)
        : ports.failures.resolve(f._id, outcome.outcome === 'notified' ? `notified:${outcome.event_id}` : outcome.outcome),
      outcome,
    );

  return defer(() => ports.failures.open(options.limit)).pipe(
    concatMap((open) => from(open)),
    mergeMap((f) => notify(f, 0).pipe(concatMap((outcome) => settle(f, outcome))), options.concurrency ?? 1),
  );
};
