import {
  asyncScheduler,
  concat,
  concatMap,
  defer,
  from,
  ignoreElements,
  mergeMap,
  of,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { CaseCommand } from '../domain/caseCommand.js';

/** How a case command ended, as the command results record it. */
export type CommandEnd = { readonly command_id: string } & (
  | {
      readonly status: 'processed';
      /** The events it recorded: none when it changed nothing (absent where unknown). */
      readonly event_ids?: readonly string[];
    }
  | { readonly status: 'rejected'; readonly reason: string }
);

export interface CommandRoundTripPorts<C extends CaseCommand> {
  /** Sends a command to the command topic (key = case id); completes once Kafka has it. */
  publish(command: C): Observable<void>;
  /** How those of the commands that are complete ended; commands still pending are left out. */
  ended(command_ids: readonly string[]): Observable<readonly CommandEnd[]>;
}

export interface RoundTripOptions {
  /** How long to wait for the commands' results once they are sent. */
  readonly waitMs: number;
  /** How often the results are read while waiting. */
  readonly pollMs: number;
  /** How many commands are being sent at once (default 64). */
  readonly publishConcurrency?: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Sends commands for the running service to handle in their cases' actors (the only writers of a
 * case), then waits up to `waitMs` for their results: how each command that ended did, by command
 * id. A command missing from the answer is still pending (without a running service, all are).
 */
export const sendCommands = <C extends CaseCommand>(
  ports: CommandRoundTripPorts<C>,
  commands: readonly C[],
  options: RoundTripOptions,
): Observable<ReadonlyMap<string, CommandEnd>> => {
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
  const sent = from(commands).pipe(
    mergeMap((c) => ports.publish(c), options.publishConcurrency ?? 64),
    ignoreElements(),
  );
  const ids = commands.map((c) => c.command_id);
  return concat(
    sent,
    defer(() => awaitEnds(ids, new Map(), scheduler.now() + options.waitMs)),
  );
};
