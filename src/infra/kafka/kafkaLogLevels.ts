import { createRequire } from 'node:module';
import { logLevel, type LogEntry } from 'kafkajs';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

interface ProtocolError {
  readonly type: string;
  readonly retriable: boolean;
  readonly message: string;
}

// kafkajs logs a broker's error by its message alone (`error: e.message`). Its own table of the
// protocol's errors (kafkajs/src/protocol/error.js, not exported by the package: kafkajs 2.2.4 is
// the last release) turns that message back into the error's type and whether kafkajs retries it.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: readonly ProtocolError[] };
const protocolErrors = new Map(errorCodes.map((e) => [e.message, e]));

/**
 * What a broker answers while it, a new topic or the consumer group is still settling, each
 * retried by kafkajs: no leader elected yet, metadata naming a leader a moment before it serves
 * (every start on fresh topics here: ListOffsets answered NOT_LEADER_FOR_PARTITION), a topic
 * not yet known everywhere, the offsets topic loading or moving, a group rebalancing because a
 * member joined or left (kafkajs's own `isRebalancing` family).
 */
const SETTLING = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
]);

/**
 * kafkajs's CreateTopics answer when a topic it asked for has an error. Instances starting together
 * race to create the same topics: kafkajs takes "all already exist" as success and hands any other
 * error to ensureTopics, which then fails the start.
 */
const TOPIC_CREATION_ERRORS = 'Topic creation errors';

/** The broker is not listening yet (Node's message for the socket, as kafkajs's Connection logs it). */
const NOT_LISTENING_YET = /^Connection error: connect ECONNREFUSED\b/;

/** kafkajs's retriable errors of its own (KafkaJSConnectionError, KafkaJSRequestTimeoutError), by message. */
const RETRIED = /^(Connection error: |Connection timeout$|Closed connection$|Request .* timed out$)/;

type Cause = 'settling' | 'retried' | 'other';

const causeOf = (error: string): Cause => {
  const protocol = protocolErrors.get(error);
  if (protocol) return SETTLING.has(protocol.type) ? 'settling' : protocol.retriable ? 'retried' : 'other';
  if (error === TOPIC_CREATION_ERRORS || NOT_LISTENING_YET.test(error)) return 'settling';
  return RETRIED.test(error) ? 'retried' : 'other';
};

/** The lines where kafkajs writes the error into its message instead of an `error` field. */
const CAUSE_IN_MESSAGE = [
  /^Failed to connect to seed broker, trying another broker from the list: (.*)$/s, // cluster/brokerPool.js
  /^Failed to send messages: (.*)$/s, // producer/sendMessages.js
  /^Crash: \w+: (.*)$/s, // consumer/index.js
];

const errorText = (message: string, error: unknown): string => {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.message;
  for (const pattern of CAUSE_IN_MESSAGE) {
    const cause = pattern.exec(message)?.[1];
    if (cause !== undefined) return cause;
  }
  return message;
};

/**
 * A state still settling after this many retries is no longer part of a start: with the client's
 * retry settings (200 ms, doubling) that is about 6 s of trying.
 */
export const SETTLING_RETRIES = 5;

const fromKafkajs: Record<number, KafkaLogLevel> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The level for one kafkajs log entry. kafkajs logs at `error` every refused request and every
 * failed connection attempt, even those it retries and that then succeed; the outcome reaches
 * casestream anyway (a failed start, a rejected send, a consumer crash). So a broker still settling
 * is `debug` for a request it answered (the Connection lines), `info` for a retry (lines with
 * `retryCount`), `warn` once it takes longer than a start would; another error kafkajs retries is
 * at most `warn`; anything else (authentication, authorization, a bad request, a crash kafkajs
 * does not come back from, the retries used up) keeps kafkajs's level.
 */
export const kafkaLogLevel = ({ level, log }: LogEntry): KafkaLogLevel => {
  const logged = fromKafkajs[level] ?? 'info';
  if (level > logLevel.WARN) return logged;
  const message = String(log.message); // kafkajs sometimes logs an Error as the message
  const { retryCount } = log;
  if (message.startsWith('Restarting the consumer in ')) return 'info'; // after a crash kafkajs judged retriable; the crash line has the verdict
  if (message.startsWith('Crash: KafkaJSNumberOfRetriesExceeded:')) return 'error';
  const cause = causeOf(errorText(message, log.error));
  if (cause === 'other') return logged;
  if (cause === 'retried' || message.startsWith('Crash: ')) return 'warn';
  if (typeof retryCount !== 'number') return 'debug';
  return retryCount < SETTLING_RETRIES ? 'info' : 'warn';
};

/**
 * The level for a consumer crash: kafkajs restarts the consumer only when the cause is retriable,
 * so a restart is a `warn`, unless the retries were used up first; without a restart the consumer is
 * dead for good: `error`.
 */
export const crashLogLevel = ({ error, restart }: { readonly error: unknown; readonly restart: boolean }): 'error' | 'warn' =>
  restart && !(error instanceof Error && error.name === 'KafkaJSNumberOfRetriesExceeded') ? 'warn' : 'error';
