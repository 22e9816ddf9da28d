import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { createCliContext, type CliContext } from './cliContext.js';
import { cacheCommand } from './commands/cacheCommands.js';
import { casesCommand } from './commands/casesCommand.js';
import { notificationsCommand, outboxCommand } from './commands/notificationCommands.js';
import { dlqCommand } from './commands/dlqCommand.js';
import { eraseCommand, holdCommand } from './commands/erasureCommands.js';
import { exportCaseCommand } from './commands/exportCaseCommand.js';
import { replayCommand } from './commands/replayCommand.js';
import { tokenCommand } from './commands/tokenCommand.js';
import type { Output } from './output.js';

export const USAGE = `usage: casestream <command> [--json]

  start                                 run the service (what npm start runs)
  cache list [--pattern P]              cached notification rules (Redis SCAN)
  cache get <trigger>                   one cached rule: fetched when, time to live, stale or fresh
  cache evict <trigger>                 drop one cached rule
  cache clear [--pattern P]             drop cached rules
  cache stats                           how many entries, fresh and stale
  replay [--yes] [--drop-old] [--batch N]
                                        rebuild every read model from domain_events into fresh collections,
                                        catch up with events appended meanwhile, swap them in; the replaced
                                        ones are kept as <name>__before_replay_<run> unless --drop-old;
                                        asks first on a terminal (--yes: do not ask; required otherwise)
  dlq list [--limit N]                  dead letters: position, source, reason
  dlq show <partition>/<offset>         one dead letter with its field errors, headers and value
  dlq replay <partition>/<offset>       re-submit it to its source topic (after a fix upstream)
  notifications retry [--limit N] [--wait-ms MS]
                                        have the running service ask again for the rules of cases whose
                                        lookup failed (one command per case), and wait for the outcomes
  outbox status                         notifications stored but not yet acknowledged by Kafka
  outbox flush [--batch N]              publish them now
  cases due-for-erasure [--limit N]     cases closed longer than RETENTION_CASE_CLOSED that still hold personal data, longest closed first
                                        (a report only: casestream erases nothing by itself)
  erase --case <id> (--person <id> | --beneficial-owner <id>) --reason R [--by NAME] [--wait-ms MS]
  erase --client <client id> --reason R [--by NAME] [--wait-ms MS]
                                        have the running service erase (mask) the personal data of a person,
                                        a beneficial owner, or every one of a client's cases, recording why and
                                        who asked (--by, default cli:<user>); refused under legal hold
  hold place|lift --case <id> --reason R [--by NAME] [--wait-ms MS]
                                        place or lift a case's legal hold, which refuses erasure while placed
  export-case <case id> [--out FILE]    a case's full history for an auditor as one JSON document: events with
                                        their envelopes, read models, notifications with provenance, holds,
                                        erasures, closing; --out writes FILE whole or not at all, mode 0600
  token hash <name> [--scope read|write]
                                        the API_TOKENS_FILE entry of the token piped to stdin (scope read
                                        by default): printf %s "$TOKEN" | casestream token hash ops-alice

Settings come from the environment and ENV_FILE (default config/local.env), as for the service.
--json prints machine-readable output. Exit code 0 on success, non-zero with a one-line reason.`;

type Handler = (ctx: CliContext, args: ParsedArgs, out: Output) => Promise<number>;

const HANDLERS: Record<string, Handler> = {
  cache: cacheCommand,
  cases: casesCommand,
  notifications: notificationsCommand,
  outbox: outboxCommand,
  replay: replayCommand,
  dlq: dlqCommand,
  erase: eraseCommand,
  hold: holdCommand,
  'export-case': exportCaseCommand,
};

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** stderr is a terminal (progress is redrawn in place). */
  readonly terminal?: boolean;
  /** Asks the person at the terminal; absent when stdin is no terminal. */
  readonly ask?: (question: string) => Promise<string>;
  /** All of stdin; absent when stdin is a terminal. */
  readonly readStdin?: () => Promise<string>;
}

/** Runs one CLI command; resolves with the exit code. `start` is handled by the bin itself. */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<number> => {
  let ctx: CliContext | undefined;
  try {
    const args = parseArgs(argv);
    // needs no settings nor any client
    if (args.words[0] === 'token' && !args.flags.has('help'))
      return await tokenCommand(args, io.readStdin, (text) => io.stdout(`${text}\n`));
    const handler = HANDLERS[args.words[0] ?? ''];
    if (!handler || args.flags.has('help')) {
      io.stdout(`${USAGE}\n`);
      return handler || args.flags.has('help') ? 0 : 2;
    }
    ctx = createCliContext(io.env);
    return await handler(ctx, args, {
      json: args.flags.has('json'),
      line: (text) => io.stdout(`${text}\n`),
      note: io.stderr,
      terminal: io.terminal === true,
      ...(io.ask ? { ask: io.ask } : {}),
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`casestream: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    io.stderr(`casestream: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    return 1;
  } finally {
    await ctx?.close();
  }
};
