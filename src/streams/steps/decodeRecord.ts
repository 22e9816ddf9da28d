import * as E from 'fp-ts/lib/Either.js';
import { map, type OperatorFunction } from 'rxjs';
import { caseCommandDecoder } from '../../domain/caseCommand.js';
import { clientMessageDecoder } from '../../domain/clientMessage.js';
import { createCaseCommand, type Command } from '../../domain/commands.js';
import { contentHash } from '../../domain/contentHash.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../domain/decodeLimits.js';
import { nestsDeeperThan } from '../../domain/jsonDepth.js';
import { invalidInput, rejection, type FieldError, type Rejection } from '../../domain/rejection.js';
import { describePosition, headerBytes, idempotencyKey, messageIdProblem, recordTime, type InboundRecord } from '../records.js';
import { startMessageTrace, type MessageTrace } from '../tracing/messageTrace.js';
import * as attr from '../tracing/semconv.js';

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
      /** The message's span, when tracing is on. */
      readonly trace?: MessageTrace;
    }
  | {
      readonly kind: 'rejected';
      readonly record: InboundRecord;
      readonly rejection: Rejection;
      readonly raw: Record<string, unknown> | null;
      /** A rejected case command's id, when it had a readable one: its result is recorded too. */
      readonly command_id: string | null;
      readonly trace?: MessageTrace;
    };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → JSON object nesting at most `maxDepth` levels, or why not. */
const parseJsonObject = (value: Buffer | null, maxDepth: number): E.Either<Rejection, Record<string, unknown>> => {
  if (value === null || value.length === 0) return E.left(rejection('the message has no value', [{ path: '$', rule: 'is required' }]));
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return E.left(rejection('the message value is not valid UTF-8', [{ path: '$', rule: 'must be UTF-8 text' }]));
  }
  if (nestsDeeperThan(text, maxDepth)) {
    return E.left(
      rejection(`the message value nests deeper than ${maxDepth} levels`, [{ path: '$', rule: `must nest at most ${maxDepth} levels` }]),
    );
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

/** Why the record's size or headers break the limits, checked before its value is read; null when they do not. */
const envelopeProblem = (record: InboundRecord, limits: DecodeLimits): Rejection | null => {
  const size = record.value?.length ?? 0;
  if (size > limits.maxRecordBytes) {
    return rejection(`the message value is ${size} bytes, more than the limit of ${limits.maxRecordBytes}`, [
      { path: '$', rule: `must be at most ${limits.maxRecordBytes} bytes` },
    ]);
  }
  const headers = headerBytes(record);
  if (headers > limits.maxHeaderBytes)
    return rejection(`the message headers are ${headers} bytes, more than the limit of ${limits.maxHeaderBytes}`);
  const messageId = messageIdProblem(record, limits.maxIdempotencyKeyLength);
  return messageId === null ? null : rejection(messageId);
};

const rejected = (
  record: InboundRecord,
  why: Rejection,
  raw: Record<string, unknown> | null,
  command_id: string | null = null,
): DecodedRecord => ({
  kind: 'rejected',
  record,
  rejection: why,
  raw,
  command_id,
});

const commandIdIn = (parsed: Record<string, unknown>): string | null =>
  typeof parsed.command_id === 'string' && parsed.command_id.trim() !== '' ? parsed.command_id : null;

/**
 * Decodes one Kafka record into a command: a client-data message becomes CreateCase, a command-topic
 * message a document command. Anything else is a rejection naming the failing fields (the first
 * `limits.maxErrorDetails` of them). The event time is the record's own timestamp, so that a
 * redelivered record decides identical events. It never throws: whatever goes wrong while decoding
 * is a rejection too, so that no message can stop the consumer.
 */
export const decodeInbound = (topics: InboundTopics, limits: DecodeLimits = DEFAULT_DECODE_LIMITS) => {
  const decodeClientMessage = clientMessageDecoder(limits);
  const decodeCaseCommand = caseCommandDecoder(limits);
  const invalid = (what: string) => (errors: FieldError[]) => invalidInput(what, errors, limits.maxErrorDetails);
  const decode = (record: InboundRecord): DecodedRecord => {
    if (record.topic !== topics.clientData && record.topic !== topics.commands) {
      return rejected(record, rejection(`unexpected topic ${record.topic}`), null);
    }
    const tooBig = envelopeProblem(record, limits);
    if (tooBig !== null) return rejected(record, tooBig, null);
    const parsed = parseJsonObject(record.value, limits.maxJsonDepth);
    if (E.isLeft(parsed)) return rejected(record, parsed.left, null);
    const context = { key: idempotencyKey(record), content_hash: contentHash(record.value), timestamp: recordTime(record) };
    if (record.topic === topics.clientData) {
      const decoded = decodeClientMessage(parsed.right);
      return E.isLeft(decoded)
        ? rejected(record, invalid('invalid client data message')(decoded.left), parsed.right)
        : { kind: 'command', record, command: createCaseCommand(decoded.right, context), raw: parsed.right };
    }
    const decoded = decodeCaseCommand(parsed.right);
    return E.isLeft(decoded)
      ? rejected(record, invalid('invalid case command')(decoded.left), null, commandIdIn(parsed.right))
      : { kind: 'command', record, command: { ...decoded.right, ...context }, raw: null };
  };
  return (record: InboundRecord): DecodedRecord => {
    try {
      return decode(record);
    } catch (e) {
      const name = e instanceof Error ? e.name : typeof e;
      return rejected(record, rejection(`the message could not be decoded: ${name}`), null);
    }
  };
};

/** Decodes a record within a `decode` span of its message, and names the case (or the rejection) on the message's span. */
const decodeTraced = (decode: (record: InboundRecord) => DecodedRecord, record: InboundRecord, t: MessageTrace): DecodedRecord => {
  if (!t.span.isRecording()) return { ...decode(record), trace: t };
  const span = t.tracer.startSpan('decode', undefined, t.context);
  const d = decode(record);
  t.span.setAttribute(attr.MESSAGING_MESSAGE_ID, idempotencyKey(record));
  if (d.kind === 'command') {
    t.span.setAttributes({ [attr.CASE_ID]: d.command.case_id, [attr.COMMAND_TYPE]: d.command.command_type });
    span.setAttribute(attr.COMMAND_TYPE, d.command.command_type);
  } else {
    span.setAttributes({ [attr.REJECTION_REASON]: d.rejection.reason, [attr.REJECTION_DETAILS]: d.rejection.details.length });
  }
  span.setAttribute(attr.OUTCOME, d.kind === 'command' ? 'decoded' : 'rejected');
  span.end();
  return { ...d, trace: t };
};

/** Decodes every record, starting its message's span (see startMessageTrace); never errors and never drops one. */
export const decodeRecord = (topics: InboundTopics, limits?: DecodeLimits): OperatorFunction<InboundRecord, DecodedRecord> => {
  const decode = decodeInbound(topics, limits);
  return map((record) => {
    const t = startMessageTrace(record);
    return t === undefined ? decode(record) : decodeTraced(decode, record, t);
  });
};

/** The actor a decoded record belongs to: its case, or for a rejection its partition (kept in order too). */
export const actorKeyOf = (d: DecodedRecord): string =>
  d.kind === 'command' ? `case:${d.command.case_id}` : `rejected:${describePosition({ ...d.record, offset: '' })}`;
