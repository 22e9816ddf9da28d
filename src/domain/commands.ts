import type { CaseCommand } from './caseCommand.js';
import type { ClientDataMessage } from './clientMessage.js';
import { idFor } from './deterministicId.js';

/**
 * A command for one case, with what every decision needs besides the case state:
 * the message's idempotency key (which every created id derives from) and the event time.
 */
export interface CommandContext {
  readonly key: string;
  readonly timestamp: Date;
}

export interface CreateCase extends CommandContext {
  readonly command_type: 'CreateCase';
  readonly command_id: string;
  readonly case_id: string;
  readonly message: ClientDataMessage;
}

export type CaseCommandWithContext = CaseCommand & CommandContext;

export type Command = CreateCase | CaseCommandWithContext;

/** The case a client-data message creates: its id is derived from the message's idempotency key. */
export const createCaseCommand = (message: ClientDataMessage, context: CommandContext): CreateCase => ({
  command_type: 'CreateCase',
  command_id: idFor(context.key, 'command'),
  case_id: idFor(context.key, 'case'),
  message,
  ...context,
});
