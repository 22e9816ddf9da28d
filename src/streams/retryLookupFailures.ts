import { concatMap, defer, map, of, type Observable } from 'rxjs';
import type { RetryNotificationLookup } from '../domain/caseCommand.js';
import { lookupRetryCommand } from '../domain/commands.js';
import { sendCommands, type CommandEnd, type CommandRoundTripPorts, type RoundTripOptions } from './commandRoundTrip.js';
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

export interface LookupRetryPorts extends CommandRoundTripPorts<RetryNotificationLookup> {
  /** The open failures, oldest first, at most `limit`. */
  open(limit: number): Observable<readonly LookupFailureView[]>;
  /** The failures with these ids as they are now. */
  find(ids: readonly string[]): Observable<readonly LookupFailureView[]>;
}

export type RetryOutcome = { readonly case_id: string; readonly trigger: string; readonly command_id: string } & (
  | { readonly outcome: 'notified'; readonly event_id: string }
  | { readonly outcome: 'no-rule' | 'already-notified' | 'other-trigger' }
  | { readonly outcome: 'still-failing' | 'rejected'; readonly reason: string }
  /** No result within the wait: the command may still be handled later. */
  | { readonly outcome: 'pending' }
);

export interface RetryOptions extends RoundTripOptions {
  readonly limit: number;
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
  const retry = (open: readonly LookupFailureView[]): Observable<RetryOutcome[]> => {
    const commands = open.map((f) => ({ failure: f, command: lookupRetryCommand(f) }));
    return sendCommands(
      ports,
      commands.map((c) => c.command),
      options,
    ).pipe(
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
  };
  return defer(() => ports.open(options.limit)).pipe(concatMap((open) => (open.length === 0 ? of<RetryOutcome[]>([]) : retry(open))));
};
