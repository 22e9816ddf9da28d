import type { CaseCommand, DocumentCommand, RetryNotificationLookup } from './caseCommand.js';
import type { ClientDataMessage } from './clientMessage.js';
import { idFor, idsFor, type MessageIds } from './deterministicId.js';
import type { EventMetadata } from './events.js';

/**
 * A command for one case, with what every decision needs besides the case state: the message's
 * idempotency key (which every created id derives from), the hash of the message's content (which
 * the key is bound to, see contentHash) and the event time.
 */
export interface CommandContext {
  readonly key: string;
  readonly content_hash: string;
  readonly timestamp: Date;
}

export interface CreateCase extends CommandContext {
  readonly command_type: 'CreateCase';
  readonly command_id: string;
  readonly case_id: string;
  readonly message: ClientDataMessage;
  /** The ids of everything the creation creates: made here, where its command and case ids come from. */
  readonly ids: MessageIds;
}

export type CaseCommandWithContext = CaseCommand & CommandContext;
export type DocumentCommandWithContext = DocumentCommand & CommandContext;

export type Command = CreateCase | CaseCommandWithContext;

/** The case a client-data message creates: its id is derived from the message's idempotency key. */
export const createCaseCommand = (message: ClientDataMessage, context: CommandContext): CreateCase => {
  const ids = idsFor(context.key);
  return { command_type: 'CreateCase', command_id: ids.of('command'), case_id: ids.of('case'), message, ids, ...context };
};

/**
 * The command that retries a failed rule lookup. Its id, which is also the message-id it is sent
 * under, derives from the failure and how often it failed: sent again while it is pending (a rerun
 * of `notifications retry`), it is a redelivery of the same message; after the lookup failed once
 * more, it is a new message with a result of its own.
 */
export const lookupRetryCommand = (failure: {
  readonly case_id: string;
  readonly trigger: string;
  readonly failures: number;
}): RetryNotificationLookup => ({
  command_type: 'RetryNotificationLookup',
  command_id: idFor(failure.case_id, 'lookup-retry', failure.trigger, failure.failures),
  case_id: failure.case_id,
  trigger: failure.trigger,
});

/**
 * The metadata of the events a message causes: its key, bound to its content hash, and the
 * command. The hash is left out when unknown (a notification decided from events stored without one).
 */
export const eventMetadata = (cause: {
  readonly key: string;
  readonly command_id: string;
  readonly content_hash: string | undefined;
}): EventMetadata =>
  cause.content_hash === undefined
    ? { correlation_id: cause.key, causation_id: cause.command_id }
    : { correlation_id: cause.key, causation_id: cause.command_id, content_hash: cause.content_hash };
