import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  decodeEnvSettings,
  decodeSettings,
  groupSettings,
  httpHost,
  isLoopbackHost,
  MIN_API_TOKEN_LENGTH,
  partitionsConsumedConcurrently,
  TRACES_SAMPLERS,
  type EnvSettings,
} from '../../../src/infra/settings.js';

const settingsOf = (env: Record<string, string | undefined>): EnvSettings => {
  const decoded = decodeEnvSettings(env);
  if (E.isLeft(decoded)) throw new Error(`expected settings, got: ${decoded.left}`);
  return decoded.right;
};

const problemsOf = (env: Record<string, string | undefined>): string => {
  const decoded = decodeEnvSettings(env);
  if (E.isRight(decoded)) throw new Error(`expected invalid settings, got ${JSON.stringify(decoded.right)}`);
  return decoded.left;
};

describe('decodeEnvSettings', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(settingsOf({})).to.include({
      KAFKA_TOPIC_NAME: 'kyc_events',
      KAFKA_COMMAND_TOPIC: 'case_commands',
      KAFKA_CONSUMER_GROUP_ID: 'case_management_group',
      KAFKA_DLQ_TOPIC: 'kyc_events.dlq',
      NOTIFICATION_KAFKA_TOPIC: 'notification_events',
      KAFKA_TOPIC_PARTITIONS: 6,
      MONGO_DETAILS: 'mongodb://localhost:27017',
      DB_NAME: 'case_management_db',
      REDIS_URL: 'redis://localhost:6379',
      CONFIG_SERVICE_URL: undefined,
      DEFAULT_HTTP_TIMEOUT: 5,
      CONFIG_CACHE_TTL_SECONDS: 300,
      CONFIG_CACHE_NEGATIVE_TTL_SECONDS: 60,
      LOG_LEVEL: 'info',
    });
    expect(settingsOf({}).KAFKA_BOOTSTRAP_SERVERS).to.deep.equal(['localhost:9092']);
  });

  it('handles the batches of every inbound partition at once unless told otherwise', () => {
    expect(partitionsConsumedConcurrently(settingsOf({}))).to.equal(12);
    expect(partitionsConsumedConcurrently(settingsOf({ KAFKA_TOPIC_PARTITIONS: '10' }))).to.equal(20);
    expect(partitionsConsumedConcurrently(settingsOf({ KAFKA_TOPIC_PARTITIONS: '10', PARTITIONS_CONSUMED_CONCURRENTLY: '3' }))).to.equal(3);
  });

  it('bounds what one Kafka fetch brings, to 4 MB and 256 KB a partition unless told otherwise', () => {
    expect(groupSettings(settingsOf({})).kafka.fetch).to.deep.equal({ maxBytes: 4_194_304, maxBytesPerPartition: 262_144 });
    const told = settingsOf({ KAFKA_FETCH_MAX_BYTES: '1048576', KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '65536' });
    expect(groupSettings(told).kafka.fetch).to.deep.equal({ maxBytes: 1_048_576, maxBytesPerPartition: 65_536 });
    expect(decodeSettings({ KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '100' })._tag).to.equal('Left');
  });

  it('treats an empty value as unset', () => {
    expect(settingsOf({ KAFKA_TOPIC_NAME: '', KAFKA_TOPIC_PARTITIONS: '', CONFIG_SERVICE_URL: '', LOG_LEVEL: '' })).to.include({
      KAFKA_TOPIC_NAME: 'kyc_events',
      KAFKA_TOPIC_PARTITIONS: 6,
      CONFIG_SERVICE_URL: undefined,
      LOG_LEVEL: 'info',
    });
  });

  it('reads the values it is given', () => {
    const s = settingsOf({
      KAFKA_BOOTSTRAP_SERVERS: 'kafka-1:9092, kafka-2:9093',
      KAFKA_TOPIC_NAME: 'clients',
      KAFKA_TOPIC_PARTITIONS: '12',
      MONGO_DETAILS: 'mongodb+srv://user:pw@cluster.example.net/db',
      REDIS_URL: 'rediss://cache:6380',
      CONFIG_SERVICE_URL: 'https://config.example.net',
      DEFAULT_HTTP_TIMEOUT: '2.5',
      CONFIG_CACHE_TTL_SECONDS: '30',
      LOG_LEVEL: 'DEBUG',
    });
    expect(s.KAFKA_BOOTSTRAP_SERVERS).to.deep.equal(['kafka-1:9092', 'kafka-2:9093']);
    expect(s).to.include({
      KAFKA_TOPIC_NAME: 'clients',
      KAFKA_TOPIC_PARTITIONS: 12,
      MONGO_DETAILS: 'mongodb+srv://user:pw@cluster.example.net/db',
      REDIS_URL: 'rediss://cache:6380',
      CONFIG_SERVICE_URL: 'https://config.example.net',
      DEFAULT_HTTP_TIMEOUT: 2.5,
      CONFIG_CACHE_TTL_SECONDS: 30,
      LOG_LEVEL: 'debug',
    });
  });

  it('ignores variables it does not know', () => {
    expect(settingsOf({ PATH: '/usr/bin', HOME: '/root' })).not.to.have.property('PATH');
  });

  it('refuses a bad value, naming the variable and what it must be', () => {
    expect(problemsOf({ KAFKA_TOPIC_PARTITIONS: 'six' })).to.equal(
      'invalid settings:\n  KAFKA_TOPIC_PARTITIONS must be an integer from 1 to 10000, got "six"',
    );
  });

  it('lists every bad value in the one message, one line per variable', () => {
    const message = problemsOf({
      KAFKA_BOOTSTRAP_SERVERS: 'localhost',
      KAFKA_TOPIC_PARTITIONS: '0',
      MONGO_DETAILS: 'postgres://db',
      REDIS_URL: 'localhost:6379',
      CONFIG_SERVICE_URL: 'ftp://config',
      DEFAULT_HTTP_TIMEOUT: '-1',
      CONFIG_CACHE_TTL_SECONDS: '1.5',
      CONFIG_CACHE_NEGATIVE_TTL_SECONDS: 'soon',
      LOG_LEVEL: 'loud',
    });
    const lines = message.split('\n');
    expect(lines[0]).to.equal('invalid settings:');
    const named = lines.slice(1).map((l) => l.trim().split(' ')[0]);
    expect(named).to.have.members([
      'KAFKA_BOOTSTRAP_SERVERS',
      'KAFKA_TOPIC_PARTITIONS',
      'MONGO_DETAILS',
      'REDIS_URL',
      'CONFIG_SERVICE_URL',
      'DEFAULT_HTTP_TIMEOUT',
      'CONFIG_CACHE_TTL_SECONDS',
      'CONFIG_CACHE_NEGATIVE_TTL_SECONDS',
      'LOG_LEVEL',
    ]);
    expect(message).to.contain('KAFKA_BOOTSTRAP_SERVERS must be a comma-separated host:port list');
    expect(message).to.contain('DEFAULT_HTTP_TIMEOUT must be a positive number of seconds, got "-1"');
    expect(message).to.contain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  });

  it('does not repeat a connection string in the message, which may hold a password', () => {
    const message = problemsOf({ MONGO_DETAILS: 'http://admin:s3cret@db:27017', REDIS_URL: 'http://:hunter2@cache' });
    expect(message).not.to.contain('s3cret');
    expect(message).not.to.contain('hunter2');
    expect(message).to.contain('MONGO_DETAILS must be a mongodb or mongodb+srv URL');
  });

  it('refuses a number of partitions out of range or not whole', () => {
    for (const bad of ['0', '-3', '10001', '2.5', '1e3'])
      expect(problemsOf({ KAFKA_TOPIC_PARTITIONS: bad }), bad).to.contain('KAFKA_TOPIC_PARTITIONS');
  });
});

describe('HTTP exposure settings', () => {
  const TOKEN = 'a'.repeat(MIN_API_TOKEN_LENGTH);

  it('listens on loopback by default when no API token is set', () => {
    const s = settingsOf({});
    expect(s.API_TOKEN).to.equal(undefined);
    expect(httpHost(s)).to.equal('127.0.0.1');
    expect(isLoopbackHost(httpHost(s))).to.equal(true);
  });

  it('listens on every interface by default once a token protects the API, or where HTTP_HOST says', () => {
    expect(httpHost(settingsOf({ API_TOKEN: TOKEN }))).to.equal('0.0.0.0');
    expect(httpHost(settingsOf({ API_TOKEN: TOKEN, HTTP_HOST: '0.0.0.0' }))).to.equal('0.0.0.0');
    expect(httpHost(settingsOf({ API_TOKEN: TOKEN, HTTP_HOST: '10.1.2.3' }))).to.equal('10.1.2.3');
    expect(httpHost(settingsOf({ API_TOKENS_FILE: '/etc/casestream/tokens.json' }))).to.equal('0.0.0.0');
    expect(httpHost(settingsOf({ HTTP_HOST: '::1' }))).to.equal('::1');
    expect(httpHost(settingsOf({ HTTP_HOST: '127.0.0.2' }))).to.equal('127.0.0.2');
  });

  it('refuses to expose the API beyond loopback without a token', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'casestream.internal']) {
      expect(problemsOf({ HTTP_HOST: host }), host).to.contain(
        `HTTP_HOST ${host} is not loopback and neither API_TOKENS_FILE nor API_TOKEN is set: set one, or HTTP_ALLOW_UNAUTHENTICATED=true to expose the API without auth`,
      );
    }
    expect(settingsOf({ HTTP_HOST: '0.0.0.0', API_TOKENS_FILE: '/etc/casestream/tokens.json' }).API_TOKENS_FILE).to.equal(
      '/etc/casestream/tokens.json',
    );
  });

  it('exposes the API without a token only when HTTP_ALLOW_UNAUTHENTICATED=true says so', () => {
    const s = settingsOf({ HTTP_HOST: '0.0.0.0', HTTP_ALLOW_UNAUTHENTICATED: 'true' });
    expect(s.HTTP_ALLOW_UNAUTHENTICATED).to.equal(true);
    expect(httpHost(s)).to.equal('0.0.0.0');
    expect(settingsOf({}).HTTP_ALLOW_UNAUTHENTICATED).to.equal(false);
    expect(problemsOf({ HTTP_HOST: '0.0.0.0', HTTP_ALLOW_UNAUTHENTICATED: 'false' })).to.contain('HTTP_HOST 0.0.0.0 is not loopback');
  });

  it(`refuses a token shorter than ${MIN_API_TOKEN_LENGTH} characters, and does not repeat it`, () => {
    const short = 'b'.repeat(MIN_API_TOKEN_LENGTH - 1);
    const message = problemsOf({ API_TOKEN: short });
    expect(message).to.contain(`API_TOKEN must be at least ${MIN_API_TOKEN_LENGTH} characters long`);
    expect(message).not.to.contain(short);
    expect(settingsOf({ API_TOKEN: TOKEN }).API_TOKEN).to.equal(TOKEN);
  });

  it('reads the HTTP bounds with their defaults and refuses values out of range', () => {
    expect(settingsOf({})).to.include({
      HTTP_MAX_BODY_BYTES: 1_048_576,
      API_MAX_PAGE_SIZE: 500,
      API_MAX_SKIP: 100_000,
      MAX_JSON_DEPTH: 32,
      MAX_IDEMPOTENCY_KEY_LENGTH: 256,
      MAX_ERROR_DETAILS: 20,
    });
    expect(settingsOf({ HTTP_MAX_BODY_BYTES: '65536', API_MAX_PAGE_SIZE: '100', API_MAX_SKIP: '1000' })).to.include({
      HTTP_MAX_BODY_BYTES: 65_536,
      API_MAX_PAGE_SIZE: 100,
      API_MAX_SKIP: 1000,
    });
    for (const [name, bad] of [
      ['HTTP_MAX_BODY_BYTES', '0'],
      ['API_MAX_PAGE_SIZE', '0'],
      ['API_MAX_SKIP', '-1'],
      ['MAX_JSON_DEPTH', '1'],
      ['MAX_IDEMPOTENCY_KEY_LENGTH', '4'],
    ] as const) {
      expect(problemsOf({ [name]: bad }), name).to.contain(name);
    }
  });
});

describe('decodeEnvSettings', () => {
  it('groups the settings by what they configure, read from the same environment variables', () => {
    const decoded = decodeSettings({
      KAFKA_TOPIC_NAME: 'in',
      KAFKA_DLQ_TOPIC: 'dlq',
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      DB_NAME: 'cases',
      DB_MAX_BATCH: '50',
      CONFIG_SERVICE_URL: 'http://127.0.0.1:8081',
      DEFAULT_HTTP_TIMEOUT: '2.5',
      API_TOKEN: 'x'.repeat(MIN_API_TOKEN_LENGTH),
      MAX_IN_FLIGHT_MESSAGES: '7',
      CASE_IDLE_MS: '900',
    });
    if (E.isLeft(decoded)) throw new Error(decoded.left);
    const s = decoded.right;
    expect(s.kafka.topics).to.deep.equal({
      clientData: 'in',
      commands: 'case_commands',
      deadLetters: 'dlq',
      notifications: 'notification_events',
    });
    expect(s.kafka.security.protocol).to.equal('SSL');
    expect(s.kafka.partitionsConsumedConcurrently).to.equal(12);
    expect(s.mongo).to.include({ dbName: 'cases', maxBatch: 50 });
    expect(s.rules).to.include({ configServiceUrl: 'http://127.0.0.1:8081', timeoutMs: 2500 });
    expect(s.http.host, 'a token opens the API beyond loopback').to.equal('0.0.0.0');
    expect(s.limits.maxInFlightMessages).to.equal(7);
    expect(s.pipeline.caseIdleMs).to.equal(900);
  });

  it('refuses the same bad values as the variables themselves', () => {
    const decoded = decodeSettings({ DB_MAX_BATCH: '0' });
    expect(E.isLeft(decoded) && decoded.left).to.contain('DB_MAX_BATCH');
  });
});

describe('the telemetry settings', () => {
  const telemetryOf = (env: Record<string, string>) => {
    const decoded = decodeSettings(env);
    if (E.isLeft(decoded)) throw new Error(decoded.left);
    return decoded.right.telemetry;
  };

  it('trace nothing by default: no endpoint, the parent-based always-on sampler, service casestream', () => {
    expect(telemetryOf({})).to.deep.equal({
      serviceName: 'casestream',
      tracesUrl: undefined,
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
  });

  it('send spans to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or to /v1/traces under OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracesUrl).to.equal('http://127.0.0.1:4318/v1/traces');
    expect(telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/otlp/' }).tracesUrl).to.equal(
      'http://127.0.0.1:4318/otlp/v1/traces',
    );
    expect(
      telemetryOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4319/traces',
      }).tracesUrl,
    ).to.equal('http://127.0.0.1:4319/traces');
  });

  it('trace nothing with OTEL_SDK_DISABLED=true, whatever the endpoint', () => {
    expect(telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }).tracesUrl).to.equal(undefined);
    expect(telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'false' }).tracesUrl).to.not.equal(
      undefined,
    );
  });

  it('read the service name, every standard sampler in any letter case, and the ratio', () => {
    for (const sampler of TRACES_SAMPLERS) expect(telemetryOf({ OTEL_TRACES_SAMPLER: sampler.toUpperCase() }).sampler).to.equal(sampler);
    expect(
      telemetryOf({ OTEL_SERVICE_NAME: 'casestream-eu', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }),
    ).to.include({
      serviceName: 'casestream-eu',
      sampler: 'traceidratio',
      samplerRatio: 0.25,
    });
    expect(telemetryOf({ OTEL_TRACES_SAMPLER_ARG: '0' }).samplerRatio).to.equal(0);
  });

  it('refuse an unknown sampler, a ratio outside 0 to 1 and an endpoint that is not an http URL, all in the one message', () => {
    const message = problemsOf({
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://127.0.0.1:4317',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url',
      OTEL_SDK_DISABLED: 'maybe',
    });
    for (const name of [
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_SDK_DISABLED',
    ]) {
      expect(message).to.contain(name);
    }
    expect(message).to.contain('parentbased_traceidratio');
    for (const ratio of ['-0.1', 'half', '1e-1', 'NaN'])
      expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: ratio })).to.contain('OTEL_TRACES_SAMPLER_ARG');
  });
});
