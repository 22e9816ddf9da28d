import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { defer, lastValueFrom } from 'rxjs';
import type { CaseCommand, EraseSubject, ErasureSubject, LegalHoldCommand } from '../../domain/caseCommand.js';
import { endedCommands } from '../../infra/mongo/commandResults.js';
import { subjectsOfClient, type ClientSubject } from '../../infra/mongo/personalDataErasure.js';
import { sendCommands, type CommandEnd } from '../../streams/commandRoundTrip.js';
import { positiveIntOption, UsageError, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { show, table, type Output } from '../output.js';

/** How one command sent by `erase` or `hold` ended. */
export type Outcome = 'done' | 'nothing new' | 'refused' | 'pending';

const outcomeOf = (end: CommandEnd | undefined): { outcome: Outcome; detail: string } => {
  if (end === undefined) return { outcome: 'pending', detail: 'no result yet: is casestream running?' };
  if (end.status === 'rejected') return { outcome: 'refused', detail: end.reason };
  return (end.event_ids?.length ?? 0) > 0 ? { outcome: 'done', detail: end.event_ids!.join(' ') } : { outcome: 'nothing new', detail: '' };
};

/** Sends the commands to the running service and waits up to --wait-ms for their results (as `notifications retry` does). */
const sendAndWait = async (
  ctx: CliContext,
  args: ParsedArgs,
  commands: readonly CaseCommand[],
): Promise<ReadonlyMap<string, CommandEnd>> => {
  const [publisher, { db }] = await Promise.all([ctx.commandPublisher(), ctx.mongo()]);
  return lastValueFrom(
    sendCommands(
      { publish: (command) => defer(() => publisher.publish(command)), ended: (ids) => defer(() => endedCommands(db, ids)) },
      commands,
      { waitMs: positiveIntOption(args, 'wait-ms', 30_000), pollMs: 250 },
    ),
  );
};

/** A text option the command needs: present and not blank. */
const required = (args: ParsedArgs, name: string, usage: string): string => {
  const value = args.options.get(name)?.trim();
  if (!value) throw new UsageError(`--${name} is required: ${usage}`);
  return value;
};

/** Who the command is recorded as coming from: --by, else the user running the CLI. */
const actorOf = (args: ParsedArgs): string => {
  const by = args.options.get('by')?.trim();
  if (by) return by;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

const ERASE_USAGE = 'erase --case <id> (--person <id> | --beneficial-owner <id>) | --client <client id>, --reason "..." [--by NAME]';

/** The subjects an `erase` names: one person or beneficial owner of a case, or every one of a client's cases. */
const subjectsOf = async (ctx: CliContext, args: ParsedArgs): Promise<ClientSubject[]> => {
  const client = args.options.get('client');
  const named = (['person', 'beneficial-owner'] as const).filter((o) => args.options.has(o));
  if (client !== undefined) {
    if (args.options.has('case') || named.length > 0) throw new UsageError(`--client goes alone: ${ERASE_USAGE}`);
    return subjectsOfClient((await ctx.mongo()).db, client);
  }
  if (named.length !== 1) throw new UsageError(`name one subject: ${ERASE_USAGE}`);
  const kind: ErasureSubject['kind'] = named[0] === 'person' ? 'person' : 'beneficial_owner';
  return [{ case_id: required(args, 'case', ERASE_USAGE), subject: { kind, id: required(args, named[0]!, ERASE_USAGE) } }];
};

/**
 * `casestream erase`: sends one EraseSubject per subject (a person, a beneficial owner, or every
 * one of a client's cases) for the running service to handle in the case's actor, and reports how
 * each ended: erased (`done`), `nothing new` (already erased; its data masked again), `refused`
 * (legal hold, unknown case or subject) or `pending`. Exit 1 unless each is done or nothing new.
 */
export const eraseCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const reason = required(args, 'reason', ERASE_USAGE);
  const requested_by = actorOf(args);
  const subjects = await subjectsOf(ctx, args);
  if (subjects.length === 0) {
    out.note(`casestream: no case of client ${args.options.get('client') ?? ''} has a person or beneficial owner\n`);
    return 1;
  }
  const commands: EraseSubject[] = subjects.map((s) => ({
    command_type: 'EraseSubject',
    command_id: randomUUID(),
    case_id: s.case_id,
    subject: s.subject,
    reason,
    requested_by,
  }));
  const ended = await sendAndWait(ctx, args, commands);
  const rows = commands.map((c) => ({ case_id: c.case_id, kind: c.subject.kind, id: c.subject.id, ...outcomeOf(ended.get(c.command_id)) }));
  show(out, rows, (rs) => table(rs, ['case_id', 'kind', 'id', 'outcome', 'detail']));
  return rows.every((r) => r.outcome === 'done' || r.outcome === 'nothing new') ? 0 : 1;
};

const HOLD_USAGE = 'hold place|lift --case <id> --reason "..." [--by NAME]';

/** `casestream hold place|lift`: places or lifts a case's legal hold through the running service, and reports how it ended. */
export const holdCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const action = args.words[1];
  if (action !== 'place' && action !== 'lift') throw new UsageError(`hold needs: ${HOLD_USAGE}`);
  const base = { command_id: randomUUID(), case_id: required(args, 'case', HOLD_USAGE), reason: required(args, 'reason', HOLD_USAGE) };
  const command: LegalHoldCommand =
    action === 'place'
      ? { command_type: 'PlaceLegalHold', ...base, placed_by: actorOf(args) }
      : { command_type: 'LiftLegalHold', ...base, lifted_by: actorOf(args) };
  const row = { case_id: command.case_id, action, ...outcomeOf((await sendAndWait(ctx, args, [command])).get(command.command_id)) };
  show(out, row, (r) => table([r], ['case_id', 'action', 'outcome', 'detail']));
  return row.outcome === 'done' || row.outcome === 'nothing new' ? 0 : 1;
};
