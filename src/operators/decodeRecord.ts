import * as E from 'fp-ts/lib/Either.js';
import { map, type OperatorFunction } from 'rxjs';
import { decodeCaseCommand } from '../domain/caseCommand.js';
import { decodeClientMessage } from '../domain/clientMessage.js';
import { createCaseCommand, type Command } from '../domain/commands.js';
import { invalidInput, rejection, type FieldError, type Rejection } from '../domain/rejection.js';
import { describePosition, idempotencyKey, recordTime, type InboundRecord } from '../streams/records.js';

export interface InboundTopics {
  readonly clientData: string;
  readonly commands: string;
}

export type DecodedRecord =
  | {
      readonly kind: 'command';
      readonly record: InboundRecord;
      readonly command: Command;
      /** The client message as parsed, kept in raw_events; null for case commands. */
      readonly raw: Record<string, unknown> | null;
    }
  | {
      readonly kind: 'rejected';
      readonly record: InboundRecord;
      readonly rejection: Rejection;
      readonly raw: Record<string, unknown> | null;
      /** A rejected case command's id, when it had a readable one: its result is recorded too. */
      readonly command_id: string | null;
    };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → JSON object, or why not. */
const parseJsonObject = (value: Buffer | null): E.Either<Rejection, Record<string, unknown>> => {
  if (value === null || value.length === 0) return E.left(rejection('the message has no value', [{ path: '$', rule: 'is required' }]));
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return E.left(rejection('the message value is not valid UTF-8', [{ path: '$', rule: 'must be UTF-8 text' }]));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the input; only the position is kept so no personal data reaches logs.
    const at = e instanceof Error ? /position (\d+)/.exec(e.message)?.[1] : undefined;
    const where = at === undefined ? '' : ` (at character ${at})`;
    return E.left(rejection(`the message value is not valid JSON${where}`, [{ path: '$', rule: 'must be valid JSON' }]));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
    return E.left(rejection(`the message value must be a JSON object, got ${got}`, [{ path: '$', rule: 'must be a JSON object' }]));
  }
  return E.right(parsed as Record<string, unknown>);
};

const rejected = (record: InboundRecord, why: Rejection, raw: Record<string, unknown> | null, command_id: string | null = null): DecodedRecord => ({
  kind: 'rejected',
  record,
  rejection: why,
  raw,
  command_id,
});

const commandIdIn = (parsed: Record<string, unknown>): string | null =>
  typeof parsed.command_id === 'string' && parsed.command_id.trim() !== '' ? parsed.command_id : null;

const fromFields = (what: string) => (errors: FieldError[]) => invalidInput(what, errors);

/**
 * Decodes one Kafka record into a command: a client-data message becomes CreateCase, a command-topic
 * message a document command. Anything else is a rejection naming every failing field. The event
 * time is the record's own timestamp, so that a redelivered record decides identical events.
 */
export const decodeInbound =
  (topics: InboundTopics) =>
  (record: InboundRecord): DecodedRecord => {
    if (record.topic !== topics.clientData && record.topic !== topics.commands) {
      return rejected(record, rejection(`unexpected topic ${record.topic}`), null);
    }
    const parsed = parseJsonObject(record.value);
    if (E.isLeft(parsed)) return rejected(record, parsed.left, null);
    const context = { key: idempotencyKey(record), timestamp: recordTime(record) };
    if (record.topic === topics.clientData) {
      const decoded = decodeClientMessage(parsed.right);
      return E.isLeft(decoded)
        ? rejected(record, fromFields('invalid client data message')(decoded.left), parsed.right)
        : { kind: 'command', record, command: createCaseCommand(decoded.right, context), raw: parsed.right };
    }
    const decoded = decodeCaseCommand(parsed.right);
    return E.isLeft(decoded)
      ? rejected(record, fromFields('invalid case command')(decoded.left), null, commandIdIn(parsed.right))
      : { kind: 'command', record, command: { ...decoded.right, ...context }, raw: null };
  };

/** Decodes every record; never errors and never drops one. */
export const decodeRecord = (topics: InboundTopics): OperatorFunction<InboundRecord, DecodedRecord> => map(decodeInbound(topics));

/** The actor a decoded record belongs to: its case, or for a rejection its partition (kept in order too). */
export const actorKeyOf = (d: DecodedRecord): string =>
  d.kind === 'command' ? `case:${d.command.case_id}` : `rejected:${describePosition({ ...d.record, offset: '' })}`;
