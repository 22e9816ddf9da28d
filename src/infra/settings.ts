import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { DecodeLimits } from '../domain/decodeLimits.js';
import {
  brokers,
  choice,
  duration,
  flag,
  integer,
  logLevel,
  optionalText,
  optionalUrl,
  ratio,
  retentionPeriod,
  seconds,
  text,
  url,
} from './envCodecs.js';

/**
 * Every setting casestream reads, decoded with io-ts once at startup into `Settings`, grouped by
 * what they configure. A bad value stops startup with one message listing every problem. The
 * README's Configuration table lists the variables.
 */

/** The samplers OTEL_TRACES_SAMPLER may name (the OpenTelemetry SDK's standard ones). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

const SECOND_MS = 1_000;
const DAY_MS = 86_400_000;
/** The longest retention period a setting takes: a hundred years, or `forever`. */
const MAX_RETENTION_MS = 36_525 * DAY_MS;
/** A retention period (`forever`, or a duration with its unit) from one second to a hundred years. */
const kept = (days: number) => retentionPeriod(days * DAY_MS, SECOND_MS, MAX_RETENTION_MS);

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
  /**
   * What one fetch may bring, in all and per partition. A fetch's records wait in memory, beside the
   * in-flight ones, until each is admitted; the broker still sends a partition's first record batch
   * when it is larger, so a record over the per-partition bound is consumed all the same.
   */
  KAFKA_FETCH_MAX_BYTES: integer(4_194_304, 1_024, 1_073_741_824),
  KAFKA_FETCH_MAX_BYTES_PER_PARTITION: integer(262_144, 1_024, 1_073_741_824),
  RETRY_INITIAL_MS: integer(200, 1),
  RETRY_MAX_MS: integer(30_000, 1),
  MAX_CONFLICT_RETRIES: integer(5, 0, 100),
  DB_MAX_BATCH: integer(500, 1, 100_000),
  DB_SNAPSHOT_EVERY: integer(32, 1, 100_000),
  SHUTDOWN_TIMEOUT_MS: integer(15_000, 0),
  OUTBOX_RELAY_INTERVAL_MS: integer(5_000, 10),
  OUTBOX_GRACE_MS: integer(10_000, 0),
  OUTBOX_BATCH: integer(100, 1, 10_000),
  HTTP_PORT: integer(8000, 0, 65_535),
  /** Unset: 127.0.0.1 without API tokens, every interface (0.0.0.0) with them (see httpHost). */
  HTTP_HOST: optionalText,
  /** One write token, recorded as the actor `api-token`. */
  API_TOKEN: optionalText,
  /** A JSON list of named, hashed tokens with their scopes (see src/infra/http/apiTokens.ts), read at startup. */
  API_TOKENS_FILE: optionalText,
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
  /** OpenTelemetry's standard variables: traces go over OTLP/HTTP; without an endpoint there is no tracing at all. */
  OTEL_SERVICE_NAME: text('casestream'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http', 'https']),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl(['http', 'https']),
  OTEL_TRACES_SAMPLER: choice(TRACES_SAMPLERS, 'parentbased_always_on'),
  /** The ratio of the traceidratio samplers; other samplers ignore it. */
  OTEL_TRACES_SAMPLER_ARG: ratio(1),
  OTEL_SDK_DISABLED: flag(false),
  /** How long casestream keeps what it stores besides the case record (see RetentionSettings). */
  RETENTION_RAW_EVENTS: kept(30),
  RETENTION_COMMAND_RESULTS: kept(90),
  RETENTION_LOOKUP_FAILURES: kept(90),
  RETENTION_API_IDEMPOTENCY: kept(30),
  RETENTION_DLQ_TOPIC: kept(30),
  /** Five years, leap days included: a closed case's due-diligence record is kept that long after it closes. */
  RETENTION_CASE_CLOSED: kept(1_827),
  RETENTION_SWEEP_INTERVAL: duration(3_600_000, 100, DAY_MS),
  RETENTION_SWEEP_BATCH: integer(1_000, 1, 100_000),
});

/** The settings as the environment names them, one field per variable. */
export type EnvSettings = t.TypeOf<typeof settingsCodec>;

/**
 * How many partitions' batches are handled at once. casestream holds each batch until its messages
 * are complete, and kafkajs fetches again only when every batch of a fetch is let go: a batch beyond
 * this number waits for another one to complete before it even starts, which doubles that fetch's
 * latency. So the default is every partition of the two inbound topics casestream creates.
 */
export const partitionsConsumedConcurrently = (s: EnvSettings): number =>
  s.PARTITIONS_CONSUMED_CONCURRENTLY || 2 * s.KAFKA_TOPIC_PARTITIONS;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** True when API tokens protect the API (API_TOKEN, API_TOKENS_FILE or both). */
const hasApiTokens = (s: EnvSettings): boolean => s.API_TOKEN !== undefined || s.API_TOKENS_FILE !== undefined;

/** Where the API listens: HTTP_HOST when set; otherwise loopback unless tokens protect it. */
export const httpHost = (s: EnvSettings): string => s.HTTP_HOST ?? (hasApiTokens(s) ? '0.0.0.0' : '127.0.0.1');

/** Shorter tokens are refused: a guessable token is no protection. */
export const MIN_API_TOKEN_LENGTH = 32;

/** Rules between settings, checked once each value is valid on its own. */
const crossChecks = (s: EnvSettings): string[] => [
  ...(s.KAFKA_SECURITY_PROTOCOL.startsWith('SASL_') && (!s.KAFKA_SASL_USERNAME || !s.KAFKA_SASL_PASSWORD)
    ? [`  KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required when KAFKA_SECURITY_PROTOCOL is ${s.KAFKA_SECURITY_PROTOCOL}`]
    : []),
  ...(s.KAFKA_SSL_CA_FILE && !s.KAFKA_SECURITY_PROTOCOL.endsWith('SSL')
    ? ['  KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL uses no TLS']
    : []),
  ...(s.REDIS_TLS_CA_FILE && !s.REDIS_URL.startsWith('rediss:') ? ['  REDIS_TLS_CA_FILE is set but REDIS_URL is not rediss://'] : []),
  ...(s.API_TOKEN !== undefined && s.API_TOKEN.length < MIN_API_TOKEN_LENGTH
    ? [`  API_TOKEN must be at least ${MIN_API_TOKEN_LENGTH} characters long`]
    : []),
  ...(!hasApiTokens(s) && !isLoopbackHost(httpHost(s)) && !s.HTTP_ALLOW_UNAUTHENTICATED
    ? [
        `  HTTP_HOST ${httpHost(s)} is not loopback and neither API_TOKENS_FILE nor API_TOKEN is set: set one, or HTTP_ALLOW_UNAUTHENTICATED=true to expose the API without auth`,
      ]
    : []),
  ...(s.MAX_RECORD_BYTES > s.MAX_IN_FLIGHT_BYTES ? ['  MAX_IN_FLIGHT_BYTES must be at least MAX_RECORD_BYTES'] : []),
];

/** Decodes the environment variable by variable, or one message naming every bad value. */
export const decodeEnvSettings = (env: Record<string, string | undefined>): E.Either<string, EnvSettings> =>
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

/** What one Kafka fetch may bring (KAFKA_FETCH_MAX_BYTES, KAFKA_FETCH_MAX_BYTES_PER_PARTITION). */
export interface FetchBounds {
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
}

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  readonly topics: {
    /** Client-data messages in (KAFKA_TOPIC_NAME). */
    readonly clientData: string;
    /** Case commands in (KAFKA_COMMAND_TOPIC). */
    readonly commands: string;
    /** Rejected messages out (KAFKA_DLQ_TOPIC). */
    readonly deadLetters: string;
    /** NotificationRequired out (NOTIFICATION_KAFKA_TOPIC). */
    readonly notifications: string;
  };
  /** Partitions of the topics casestream creates. */
  readonly topicPartitions: number;
  /** Batches handled at once (PARTITIONS_CONSUMED_CONCURRENTLY, resolved; see partitionsConsumedConcurrently). */
  readonly partitionsConsumedConcurrently: number;
  readonly fetch: FetchBounds;
  readonly security: {
    readonly protocol: EnvSettings['KAFKA_SECURITY_PROTOCOL'];
    readonly saslMechanism: EnvSettings['KAFKA_SASL_MECHANISM'];
    readonly saslUsername: string | undefined;
    readonly saslPassword: string | undefined;
    readonly caFile: string | undefined;
    readonly rejectUnauthorized: boolean;
  };
}

export interface MongoSettings {
  readonly uri: string;
  readonly dbName: string;
  readonly serverMode: EnvSettings['DB_SERVER_MODE'];
  /** Writes gathered into one round trip at most (DB_MAX_BATCH). */
  readonly maxBatch: number;
  /** Events between a case's snapshots (DB_SNAPSHOT_EVERY). */
  readonly snapshotEvery: number;
}

export interface RedisSettings {
  readonly url: string;
  readonly tlsCaFile: string | undefined;
}

export interface RuleSettings {
  /** Unset: notifications are disabled. */
  readonly configServiceUrl: string | undefined;
  readonly timeoutMs: number;
  readonly cacheTtlSeconds: number;
  readonly negativeTtlSeconds: number;
  readonly staleTtlSeconds: number;
}

export interface HttpSettings {
  readonly port: number;
  /** Resolved: HTTP_HOST, or loopback unless tokens protect the API (see httpHost). */
  readonly host: string;
  readonly apiToken: string | undefined;
  readonly apiTokensFile: string | undefined;
  readonly allowUnauthenticated: boolean;
  readonly maxBodyBytes: number;
  readonly maxPageSize: number;
  readonly maxSkip: number;
}

/** Bounds on what one input may hold and on what is in flight at once. */
export interface LimitSettings extends DecodeLimits {
  readonly maxNotesPerDocument: number;
  readonly deadLetterMaxHeaderBytes: number;
  readonly maxInFlightMessages: number;
  readonly maxInFlightBytes: number;
}

/** How the pipeline runs: per-case actors, retries, commits, the outbox relay and shutdown. */
export interface PipelineSettings {
  readonly maxActiveCases: number;
  readonly caseIdleMs: number;
  readonly caseStatesKept: number;
  readonly commitIntervalMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly maxConflictRetries: number;
  readonly partitionStallMs: number;
  readonly outboxRelayIntervalMs: number;
  readonly outboxGraceMs: number;
  readonly outboxBatch: number;
  readonly shutdownTimeoutMs: number;
}

/** OpenTelemetry tracing. */
export interface TelemetrySettings {
  /** The `service.name` of every span (OTEL_SERVICE_NAME). */
  readonly serviceName: string;
  /** Where spans are sent (OTLP over HTTP); undefined: no tracing at all (no endpoint set, or OTEL_SDK_DISABLED). */
  readonly tracesUrl: string | undefined;
  readonly sampler: TracesSampler;
  /** The ratio of the traceidratio samplers (OTEL_TRACES_SAMPLER_ARG). */
  readonly samplerRatio: number;
}

/**
 * The OTLP/HTTP URL spans go to: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else
 * OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces` appended (as the OpenTelemetry specification
 * says); none when neither is set or OTEL_SDK_DISABLED is true.
 */
export const tracesUrl = (s: EnvSettings): string | undefined => {
  if (s.OTEL_SDK_DISABLED) return undefined;
  if (s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) return s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return s.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? undefined : `${s.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
};

/**
 * How long casestream keeps what it stores, each in milliseconds, null for forever. Records past
 * their period are deleted by a TTL index where the server has them, else by the service's sweep.
 */
export interface RetentionSettings {
  /** raw_events, counted from processed_at (when casestream last recorded how the message ended). */
  readonly rawEventsMs: number | null;
  /** command_results, counted from completed_at (a pending result is kept until it completes). */
  readonly commandResultsMs: number | null;
  /** notification_lookup_failures once resolved, counted from resolved_at (open ones are kept). */
  readonly lookupFailuresMs: number | null;
  /** api_idempotency (the REST Idempotency-Keys), counted from created_at. */
  readonly apiIdempotencyMs: number | null;
  /** The dead-letter topic's `retention.ms`, set when casestream creates it. */
  readonly deadLetterTopicMs: number | null;
  /** A case closed longer than this is reported by `casestream cases due-for-erasure` (never erased by casestream). */
  readonly caseClosedMs: number | null;
  /** Time between two passes of the sweep (FerretDB, or a server that refuses TTL indexes). */
  readonly sweepIntervalMs: number;
  /** The most records one pass deletes per collection. */
  readonly sweepBatch: number;
}

/** Every setting, grouped by what it configures; read from the variables of settingsCodec. */
export interface Settings {
  readonly kafka: KafkaSettings;
  readonly mongo: MongoSettings;
  readonly redis: RedisSettings;
  readonly rules: RuleSettings;
  readonly http: HttpSettings;
  readonly limits: LimitSettings;
  readonly pipeline: PipelineSettings;
  readonly telemetry: TelemetrySettings;
  readonly retention: RetentionSettings;
  readonly logLevel: string;
}

export const groupSettings = (s: EnvSettings): Settings => ({
  kafka: {
    brokers: s.KAFKA_BOOTSTRAP_SERVERS,
    clientId: s.KAFKA_CLIENT_ID,
    groupId: s.KAFKA_CONSUMER_GROUP_ID,
    topics: {
      clientData: s.KAFKA_TOPIC_NAME,
      commands: s.KAFKA_COMMAND_TOPIC,
      deadLetters: s.KAFKA_DLQ_TOPIC,
      notifications: s.NOTIFICATION_KAFKA_TOPIC,
    },
    topicPartitions: s.KAFKA_TOPIC_PARTITIONS,
    partitionsConsumedConcurrently: partitionsConsumedConcurrently(s),
    fetch: { maxBytes: s.KAFKA_FETCH_MAX_BYTES, maxBytesPerPartition: s.KAFKA_FETCH_MAX_BYTES_PER_PARTITION },
    security: {
      protocol: s.KAFKA_SECURITY_PROTOCOL,
      saslMechanism: s.KAFKA_SASL_MECHANISM,
      saslUsername: s.KAFKA_SASL_USERNAME,
      saslPassword: s.KAFKA_SASL_PASSWORD,
      caFile: s.KAFKA_SSL_CA_FILE,
      rejectUnauthorized: s.KAFKA_SSL_REJECT_UNAUTHORIZED,
    },
  },
  mongo: {
    uri: s.MONGO_DETAILS,
    dbName: s.DB_NAME,
    serverMode: s.DB_SERVER_MODE,
    maxBatch: s.DB_MAX_BATCH,
    snapshotEvery: s.DB_SNAPSHOT_EVERY,
  },
  redis: { url: s.REDIS_URL, tlsCaFile: s.REDIS_TLS_CA_FILE },
  rules: {
    configServiceUrl: s.CONFIG_SERVICE_URL,
    timeoutMs: s.DEFAULT_HTTP_TIMEOUT * 1000,
    cacheTtlSeconds: s.CONFIG_CACHE_TTL_SECONDS,
    negativeTtlSeconds: s.CONFIG_CACHE_NEGATIVE_TTL_SECONDS,
    staleTtlSeconds: s.CONFIG_CACHE_STALE_TTL_SECONDS,
  },
  http: {
    port: s.HTTP_PORT,
    host: httpHost(s),
    apiToken: s.API_TOKEN,
    apiTokensFile: s.API_TOKENS_FILE,
    allowUnauthenticated: s.HTTP_ALLOW_UNAUTHENTICATED,
    maxBodyBytes: s.HTTP_MAX_BODY_BYTES,
    maxPageSize: s.API_MAX_PAGE_SIZE,
    maxSkip: s.API_MAX_SKIP,
  },
  limits: {
    maxRecordBytes: s.MAX_RECORD_BYTES,
    maxHeaderBytes: s.MAX_HEADER_BYTES,
    maxIdempotencyKeyLength: s.MAX_IDEMPOTENCY_KEY_LENGTH,
    maxJsonDepth: s.MAX_JSON_DEPTH,
    maxStringLength: s.MAX_STRING_LENGTH,
    maxPersons: s.MAX_PERSONS,
    maxBeneficialOwners: s.MAX_BENEFICIAL_OWNERS,
    maxListItems: s.MAX_LIST_ITEMS,
    maxNotesPerCommand: s.MAX_NOTES_PER_COMMAND,
    maxNotesPerDocument: s.MAX_NOTES_PER_DOCUMENT,
    maxErrorDetails: s.MAX_ERROR_DETAILS,
    deadLetterMaxHeaderBytes: s.DLQ_MAX_HEADER_BYTES,
    maxInFlightMessages: s.MAX_IN_FLIGHT_MESSAGES,
    maxInFlightBytes: s.MAX_IN_FLIGHT_BYTES,
  },
  pipeline: {
    maxActiveCases: s.MAX_ACTIVE_CASES,
    caseIdleMs: s.CASE_IDLE_MS,
    caseStatesKept: s.CASE_STATES_KEPT,
    commitIntervalMs: s.COMMIT_INTERVAL_MS,
    retryInitialMs: s.RETRY_INITIAL_MS,
    retryMaxMs: s.RETRY_MAX_MS,
    maxConflictRetries: s.MAX_CONFLICT_RETRIES,
    partitionStallMs: s.PARTITION_STALL_MS,
    outboxRelayIntervalMs: s.OUTBOX_RELAY_INTERVAL_MS,
    outboxGraceMs: s.OUTBOX_GRACE_MS,
    outboxBatch: s.OUTBOX_BATCH,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
  },
  telemetry: {
    serviceName: s.OTEL_SERVICE_NAME,
    tracesUrl: tracesUrl(s),
    sampler: s.OTEL_TRACES_SAMPLER,
    samplerRatio: s.OTEL_TRACES_SAMPLER_ARG,
  },
  retention: {
    rawEventsMs: s.RETENTION_RAW_EVENTS,
    commandResultsMs: s.RETENTION_COMMAND_RESULTS,
    lookupFailuresMs: s.RETENTION_LOOKUP_FAILURES,
    apiIdempotencyMs: s.RETENTION_API_IDEMPOTENCY,
    deadLetterTopicMs: s.RETENTION_DLQ_TOPIC,
    caseClosedMs: s.RETENTION_CASE_CLOSED,
    sweepIntervalMs: s.RETENTION_SWEEP_INTERVAL,
    sweepBatch: s.RETENTION_SWEEP_BATCH,
  },
  logLevel: s.LOG_LEVEL,
});

/** A setting only startup can find wrong (a file it names): reported like a bad variable, with exit code 2. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Decodes the environment once into grouped settings, or one message naming every bad value. */
export const decodeSettings = (env: Record<string, string | undefined>): E.Either<string, Settings> =>
  E.map(groupSettings)(decodeEnvSettings(env));
