import {
  asyncScheduler,
  concat,
  concatMap,
  defer,
  from,
  ignoreElements,
  map,
  mergeMap,
  of,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { RetryNotificationLookup } from '../domain/caseCommand.js';
import { lookupRetryCommand } from '../domain/commands.js';
import type { LookupRetryEnd } from './ports.js';

/** A failed rule lookup as `notifications retry` reads it. */
export interface LookupFailureView {
  readonly _id: string;
  readonly case_id: string;
  readonly trigger: string;
  readonly status: 'open' | 'resolved';
  /** How often the lookup failed; the retry command's id derives from it. */
  readonly failures: number;
  readonly last_reason: string;
  readonly outcome?: LookupRetryEnd['outcome'];
  readonly event_id?: string;
}

/** How a case command ended, as the command results record it. */
export type CommandEnd = { readonly command_id: string } & (
  { readonly status: 'processed' } | { readonly status: 'rejected'; readonly reason: string }
);

export interface LookupRetryPorts {
  /** The open failures, oldest first, at most `limit`. */
  open(limit: number): Observable<readonly LookupFailureView[]>;
  /** The failures with these ids as they are now. */
  find(ids: readonly string[]): Observable<readonly LookupFailureView[]>;
  /** Sends a command to the command topic (key = case id); completes once Kafka has it. */
  publish(command: RetryNotificationLookup): Observable<void>;
  /** How those of the commands that are complete ended; commands still pending are left out. */
  ended(command_ids: readonly string[]): Observable<readonly CommandEnd[]>;
}

export type RetryOutcome = { readonly case_id: string; readonly trigger: string; readonly command_id: string } & (
  | { readonly outcome: 'notified'; readonly event_id: string }
  | { readonly outcome: 'no-rule' | 'already-notified' | 'other-trigger' }
  | { readonly outcome: 'still-failing' | 'rejected'; readonly reason: string }
  /** No result within the wait: the command may still be handled later. */
  | { readonly outcome: 'pending' }
);

export interface RetryOptions {
  readonly limit: number;
  /** How long to wait for the commands' results once they are sent. */
  readonly waitMs: number;
  /** How often the results are read while waiting. */
  readonly pollMs: number;
  /** How many commands are being sent at once (default 64). */
  readonly publishConcurrency?: number;
  readonly scheduler?: SchedulerLike;
}

/** How a retry ended, from its command's result and its failure as it is now. */
const outcomeOf = (
  f: LookupFailureView,
  command_id: string,
  end: CommandEnd | undefined,
  now: LookupFailureView | undefined,
): RetryOutcome => {
  const base = { case_id: f.case_id, trigger: f.trigger, command_id };
  if (end === undefined) return { ...base, outcome: 'pending' };
  if (end.status === 'rejected') return { ...base, outcome: 'rejected', reason: end.reason };
  // The failure is settled before the command's result is recorded: an open one failed again.
  if (now?.status !== 'resolved') return { ...base, outcome: 'still-failing', reason: (now ?? f).last_reason };
  if (now.outcome === 'notified' && now.event_id !== undefined) return { ...base, outcome: 'notified', event_id: now.event_id };
  return { ...base, outcome: now.outcome === 'no-rule' || now.outcome === 'other-trigger' ? now.outcome : 'already-notified' };
};

/**
 * Retries failed rule lookups through the cases' own actors: sends one RetryNotificationLookup
 * per open failure to the command topic, so the pipeline asks for the rule and records the
 * notification (it is the only writer of a case), then waits up to `waitMs` for the commands'
 * results and tells how each ended. Without a running service every retry stays pending.
 */
export const retryLookupFailures = (ports: LookupRetryPorts, options: RetryOptions): Observable<RetryOutcome[]> => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const awaitEnds = (pending: readonly string[], ended: Map<string, CommandEnd>, deadline: number): Observable<Map<string, CommandEnd>> =>
    ports.ended(pending).pipe(
      concatMap((found) => {
        for (const e of found) ended.set(e.command_id, e);
        const rest = pending.filter((id) => !ended.has(id));
        const left = deadline - scheduler.now();
        if (rest.length === 0 || left <= 0) return of(ended);
        return timer(Math.min(options.pollMs, left), scheduler).pipe(concatMap(() => awaitEnds(rest, ended, deadline)));
      }),
    );
  const retry = (open: readonly LookupFailureView[]): Observable<RetryOutcome[]> => {
    const commands = open.map((f) => ({ failure: f, command: lookupRetryCommand(f) }));
    const ids = commands.map((c) => c.command.command_id);
    const sent = from(commands).pipe(
      mergeMap((c) => ports.publish(c.command), options.publishConcurrency ?? 64),
      ignoreElements(),
    );
    const settled = defer(() => awaitEnds(ids, new Map(), scheduler.now() + options.waitMs)).pipe(
      concatMap((ended) => {
        const processed = commands.filter((c) => ended.get(c.command.command_id)?.status === 'processed').map((c) => c.failure._id);
        return (processed.length === 0 ? of<readonly LookupFailureView[]>([]) : ports.find(processed)).pipe(
          map((found) => {
            const now = new Map(found.map((f) => [f._id, f] as const));
            return commands.map((c) => outcomeOf(c.failure, c.command.command_id, ended.get(c.command.command_id), now.get(c.failure._id)));
          }),
        );
      }),
    );
    return concat(sent, settled);
  };
  return defer(() => ports.open(options.limit)).pipe(concatMap((open) => (open.length === 0 ? of<RetryOutcome[]>([]) : retry(open))));
};
