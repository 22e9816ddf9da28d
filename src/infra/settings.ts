import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';

/**
 * Every setting casestream reads, decoded with io-ts at startup. A bad or missing value stops
 * startup with one message listing every problem. The README's Configuration table lists them.
 */

const text = (fallback: string) =>
  new t.Type<string, string, unknown>(
    'text',
    (u): u is string => typeof u === 'string',
    (u, c) => (u === undefined || u === '' ? t.success(fallback) : typeof u === 'string' ? t.success(u) : t.failure(u, c, 'must be text')),
    t.identity,
  );

const optionalText = new t.Type<string | undefined, string | undefined, unknown>(
  'optional text',
  (u): u is string | undefined => u === undefined || typeof u === 'string',
  (u, c) => (u === undefined || u === '' ? t.success(undefined) : typeof u === 'string' ? t.success(u) : t.failure(u, c, 'must be text')),
  t.identity,
);

const integer = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  new t.Type<number, string, unknown>(
    `an integer from ${min} to ${max}`,
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallback);
      const n = typeof u === 'string' && /^-?\d+$/.test(u.trim()) ? Number(u) : NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max
        ? t.success(n)
        : t.failure(u, c, `must be an integer from ${min} to ${max}, got ${JSON.stringify(u)}`);
    },
    String,
  );

const seconds = (fallback: number) =>
  new t.Type<number, string, unknown>(
    'seconds',
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallback);
      const n = typeof u === 'string' ? Number(u) : NaN;
      return Number.isFinite(n) && n > 0 ? t.success(n) : t.failure(u, c, `must be a positive number of seconds, got ${JSON.stringify(u)}`);
    },
    String,
  );

const parsesAs = (value: string, schemes: readonly string[]): boolean => {
  try {
    return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
  } catch {
    return false;
  }
};

const optionalUrl = (schemes: readonly string[]) =>
  new t.Type<string | undefined, string | undefined, unknown>(
    `a ${schemes.join('/')} URL`,
    (u): u is string | undefined => u === undefined || typeof u === 'string',
    (u, c) =>
      u === undefined || u === ''
        ? t.success(undefined)
        : typeof u === 'string' && parsesAs(u, schemes)
          ? t.success(u)
          : t.failure(u, c, `must be a ${schemes.join(' or ')} URL`),
    t.identity,
  );

const url = (schemes: readonly string[], fallback: string) =>
  new t.Type<string, string, unknown>(
    `a ${schemes.join('/')} URL`,
    (u): u is string => typeof u === 'string',
    (u, c) => {
      const value = u === undefined || u === '' ? fallback : u;
      return typeof value === 'string' && parsesAs(value, schemes)
        ? t.success(value)
        : t.failure(u, c, `must be a ${schemes.join(' or ')} URL`);
    },
    t.identity,
  );

const logLevel = new t.Type<string, string, unknown>(
  'log level',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    const v = u === undefined || u === '' ? 'info' : typeof u === 'string' ? u.toLowerCase() : '';
    return ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v)
      ? t.success(v)
      : t.failure(u, c, 'must be one of fatal, error, warn, info, debug, trace, silent');
  },
  t.identity,
);

const brokers = new t.Type<string[], string, unknown>(
  'host:port list',
  (u): u is string[] => Array.isArray(u),
  (u, c) => {
    const v = u === undefined || u === '' ? 'localhost:9092' : u;
    if (typeof v !== 'string') return t.failure(u, c, 'must be a comma-separated host:port list');
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    return list.length > 0 && list.every((b) => /^[^\s:]+:\d{1,5}$/.test(b))
      ? t.success(list)
      : t.failure(u, c, 'must be a comma-separated host:port list');
  },
  (a) => a.join(','),
);

const choice = <L extends string>(values: readonly L[], fallback: L) =>
  new t.Type<L, string, unknown>(
    values.join('|'),
    (u): u is L => typeof u === 'string' && (values as readonly string[]).includes(u),
    (u, c) => {
      const v = u === undefined || u === '' ? fallback : typeof u === 'string' ? u.toLowerCase() : '';
      const found = values.find((x) => x.toLowerCase() === v.toLowerCase());
      return found ? t.success(found) : t.failure(u, c, `must be one of ${values.join(', ')}`);
    },
    t.identity,
  );

const flag = (fallback: boolean) =>
  new t.Type<boolean, string, unknown>(
    'true|false',
    (u): u is boolean => typeof u === 'boolean',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallback);
      const v = typeof u === 'string' ? u.trim().toLowerCase() : '';
      if (['true', '1', 'yes'].includes(v)) return t.success(true);
      if (['false', '0', 'no'].includes(v)) return t.success(false);
      return t.failure(u, c, 'must be true or false');
    },
    String,
  );

export const settingsCodec = t.type({
  KAFKA_BOOTSTRAP_SERVERS: brokers,
  KAFKA_TOPIC_NAME: text('kyc_events'),
  KAFKA_COMMAND_TOPIC: text('case_commands'),
  KAFKA_CONSUMER_GROUP_ID: text('case_management_group'),
  KAFKA_DLQ_TOPIC: text('kyc_events.dlq'),
  NOTIFICATION_KAFKA_TOPIC: text('notification_events'),
  KAFKA_TOPIC_PARTITIONS: integer(6, 1, 10_000),
  KAFKA_CLIENT_ID: text('casestream'),
  KAFKA_SECURITY_PROTOCOL: choice(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const, 'PLAINTEXT'),
  KAFKA_SASL_MECHANISM: choice(['plain', 'scram-sha-256', 'scram-sha-512'] as const, 'plain'),
  KAFKA_SASL_USERNAME: optionalText,
  KAFKA_SASL_PASSWORD: optionalText,
  KAFKA_SSL_CA_FILE: optionalText,
  KAFKA_SSL_REJECT_UNAUTHORIZED: flag(true),
  MONGO_DETAILS: url(['mongodb', 'mongodb+srv'], 'mongodb://localhost:27017'),
  DB_NAME: text('case_management_db'),
  REDIS_URL: url(['redis', 'rediss'], 'redis://localhost:6379'),
  REDIS_TLS_CA_FILE: optionalText,
  CONFIG_SERVICE_URL: optionalUrl(['http', 'https']),
  DEFAULT_HTTP_TIMEOUT: seconds(5),
  CONFIG_CACHE_TTL_SECONDS: integer(300, 1),
  CONFIG_CACHE_NEGATIVE_TTL_SECONDS: integer(60, 1),
  CONFIG_CACHE_STALE_TTL_SECONDS: integer(86_400, 0),
  LOG_LEVEL: logLevel,
  MAX_IN_FLIGHT_MESSAGES: integer(500, 1, 1_000_000),
  MAX_ACTIVE_CASES: integer(256, 1, 100_000),
  CASE_IDLE_MS: integer(2_000, 1),
  CASE_STATES_KEPT: integer(2_000, 0, 1_000_000),
  COMMIT_INTERVAL_MS: integer(50, 0),
  /** 0: every inbound partition one instance can be assigned (see partitionsConsumedConcurrently). */
  PARTITIONS_CONSUMED_CONCURRENTLY: integer(0, 0, 10_000),
  RETRY_INITIAL_MS: integer(200, 1),
  RETRY_MAX_MS: integer(30_000, 1),
  MAX_CONFLICT_RETRIES: integer(5, 0, 100),
  DB_MAX_BATCH: integer(500, 1, 100_000),
  SHUTDOWN_TIMEOUT_MS: integer(15_000, 0),
  OUTBOX_RELAY_INTERVAL_MS: integer(5_000, 10),
  OUTBOX_GRACE_MS: integer(10_000, 0),
  OUTBOX_BATCH: integer(100, 1, 10_000),
  HTTP_PORT: integer(8000, 0, 65_535),
  /** Unset: 127.0.0.1 without an API_TOKEN, every interface (0.0.0.0) with one (see httpHost). */
  HTTP_HOST: optionalText,
  API_TOKEN: optionalText,
  /** Lets the API listen beyond loopback without a token (logged as a warning at every start). */
  HTTP_ALLOW_UNAUTHENTICATED: flag(false),
  HTTP_MAX_BODY_BYTES: integer(1_048_576, 1, 64 * 1_048_576),
  /** The largest `limit` a paged route accepts, and the largest `skip`. */
  API_MAX_PAGE_SIZE: integer(500, 1, 100_000),
  API_MAX_SKIP: integer(100_000, 0, 100_000_000),
  /** Input bounds: a Kafka record, its headers, and what a decoded message may hold. */
  MAX_RECORD_BYTES: integer(1_048_576, 1_024, 64 * 1_048_576),
  MAX_HEADER_BYTES: integer(16_384, 256, 1_048_576),
  MAX_IDEMPOTENCY_KEY_LENGTH: integer(256, 8, 16_384),
  MAX_JSON_DEPTH: integer(32, 4, 1_000),
  MAX_STRING_LENGTH: integer(4_096, 16, 1_048_576),
  MAX_PERSONS: integer(200, 1, 100_000),
  MAX_BENEFICIAL_OWNERS: integer(200, 1, 100_000),
  MAX_LIST_ITEMS: integer(100, 1, 100_000),
  MAX_NOTES_PER_COMMAND: integer(20, 1, 10_000),
  MAX_NOTES_PER_DOCUMENT: integer(500, 1, 1_000_000),
  /** How many failing paths a rejection lists (the rest are counted), and the dead-letter headers' total size. */
  MAX_ERROR_DETAILS: integer(20, 1, 10_000),
  DLQ_MAX_HEADER_BYTES: integer(16_384, 1_024, 1_048_576),
  /** Bytes of record values between the consumer and their completion, beside MAX_IN_FLIGHT_MESSAGES. */
  MAX_IN_FLIGHT_BYTES: integer(67_108_864, 1_048_576, 16 * 1_073_741_824),
  /** A partition with messages in flight and no completion for this long makes /health/ready degraded. */
  PARTITION_STALL_MS: integer(120_000, 1_000),
  /** auto: FerretDB accommodations when the server is FerretDB; mongodb or ferretdb force one path. */
  DB_SERVER_MODE: choice(['auto', 'mongodb', 'ferretdb'] as const, 'auto'),
});

export type Settings = t.TypeOf<typeof settingsCodec>;

/**
 * How many partitions' batches are handled at once. casestream holds each batch until its messages
 * are complete, and kafkajs fetches again only when every batch of a fetch is let go: a batch beyond
 * this number waits for another one to complete before it even starts, which doubles that fetch's
 * latency. So the default is every partition of the two inbound topics casestream creates.
 */
export const partitionsConsumedConcurrently = (s: Settings): number => s.PARTITIONS_CONSUMED_CONCURRENTLY || 2 * s.KAFKA_TOPIC_PARTITIONS;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Where the API listens: HTTP_HOST when set; otherwise loopback unless a token protects it. */
export const httpHost = (s: Settings): string => s.HTTP_HOST ?? (s.API_TOKEN ? '0.0.0.0' : '127.0.0.1');

/** Shorter tokens are refused: a guessable token is no protection. */
export const MIN_API_TOKEN_LENGTH = 32;

/** Rules between settings, checked once each value is valid on its own. */
const crossChecks = (s: Settings): string[] => [
  ...(s.KAFKA_SECURITY_PROTOCOL.startsWith('SASL_') && (!s.KAFKA_SASL_USERNAME || !s.KAFKA_SASL_PASSWORD)
    ? [`  KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required when KAFKA_SECURITY_PROTOCOL is ${s.KAFKA_SECURITY_PROTOCOL}`]
    : []),
  ...(s.KAFKA_SSL_CA_FILE && !s.KAFKA_SECURITY_PROTOCOL.endsWith('SSL') ? ['  KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL uses no TLS'] : []),
  ...(s.REDIS_TLS_CA_FILE && !s.REDIS_URL.startsWith('rediss:') ? ['  REDIS_TLS_CA_FILE is set but REDIS_URL is not rediss://'] : []),
  ...(s.API_TOKEN !== undefined && s.API_TOKEN.length < MIN_API_TOKEN_LENGTH
    ? [`  API_TOKEN must be at least ${MIN_API_TOKEN_LENGTH} characters long`]
    : []),
  ...(s.API_TOKEN === undefined && !isLoopbackHost(httpHost(s)) && !s.HTTP_ALLOW_UNAUTHENTICATED
    ? [`  HTTP_HOST ${httpHost(s)} is not loopback and API_TOKEN is not set: set API_TOKEN, or HTTP_ALLOW_UNAUTHENTICATED=true to expose the API without auth`]
    : []),
  ...(s.MAX_RECORD_BYTES > s.MAX_IN_FLIGHT_BYTES ? ['  MAX_IN_FLIGHT_BYTES must be at least MAX_RECORD_BYTES'] : []),
];

/** Decodes the environment into settings, or one message naming every bad value. */
export const decodeSettings = (env: Record<string, string | undefined>): E.Either<string, Settings> =>
  pipe(
    settingsCodec.decode(Object.fromEntries(Object.keys(settingsCodec.props).map((k) => [k, env[k]]))),
    E.mapLeft(
      (errors) =>
        `invalid settings:\n${[...new Set(errors.map((e) => `  ${e.context[1]?.key ?? '?'} ${e.message ?? 'is invalid'}`))].join('\n')}`,
    ),
    E.chain((s) => {
      const problems = crossChecks(s);
      return problems.length === 0 ? E.right(s) : E.left(`invalid settings:\n${problems.join('\n')}`);
    }),
  );
