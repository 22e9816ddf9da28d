import { readFileSync } from 'node:fs';
import type { Redis, RedisOptions } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { createKafkaCommandPublisher, type CommandPublisher } from './infra/http/commandPublisher.js';
import { createKafka } from './infra/kafka/kafkaClient.js';
import { kafkaSecurity } from './infra/kafka/kafkaSecurity.js';
import { createKafkaSinks, createProducer, type KafkaSinks } from './infra/kafka/kafkaSinks.js';
import type { Logger } from './infra/logger.js';
import type { CasestreamMetrics } from './infra/metrics/casestreamMetrics.js';
import { timedConfigServiceClient } from './infra/metrics/instrument.js';
import { createCommandResultStore, type CommandResultStore } from './infra/mongo/commandResults.js';
import { connectMongo, ensureIndexes, type MongoConnection } from './infra/mongo/connect.js';
import { createMongoEventStore, type MongoEventStore } from './infra/mongo/eventStore.js';
import { createMongoLookupFailures, type MongoLookupFailures } from './infra/mongo/lookupFailures.js';
import { createMongoPersonalDataStore } from './infra/mongo/personalDataErasure.js';
import { createMongoRawEventLog } from './infra/mongo/rawEventLog.js';
import { createMongoReadModelStore } from './infra/mongo/readModelStore.js';
import { createCachedRuleLookup, type CachedRuleLookup } from './infra/rules/cachedRuleLookup.js';
import { createConfigServiceClient } from './infra/rules/configServiceClient.js';
import { createRedisClient } from './infra/rules/redisClient.js';
import type { RedisSettings, Settings } from './infra/settings.js';
import type { PersonalDataStore, RawEventLog, ReadModelStore } from './streams/ports.js';
import { describePosition } from './streams/records.js';

/**
 * Who runs: the service, or a CLI command. A CLI command names its clients `casestream-cli`, waits
 * for Redis a little instead of failing fast, and does not create indexes; everything else is the same.
 */
export type Role = 'service' | 'cli';

export interface WiringOptions {
  readonly role: Role;
  /** The service's metrics: Configuration Service timings and dead letters sent without their value. */
  readonly metrics?: CasestreamMetrics;
}

/**
 * Every adapter casestream uses, built from the settings on first use and closed together: the one
 * place where settings become clients, shared by the service and every CLI command.
 */
export interface Wiring {
  readonly settings: Settings;
  readonly logger: Logger;
  mongo(): Promise<MongoConnection>;
  redis(): Redis;
  kafka(): Kafka;
  producer(): Promise<Producer>;
  eventStore(): Promise<MongoEventStore>;
  readModels(): Promise<ReadModelStore>;
  rawEvents(): Promise<RawEventLog>;
  lookupFailures(): Promise<MongoLookupFailures>;
  commandResults(): Promise<CommandResultStore>;
  personalData(): Promise<PersonalDataStore>;
  kafkaSinks(): Promise<KafkaSinks>;
  commandPublisher(): Promise<CommandPublisher>;
  ruleLookup(): CachedRuleLookup;
  /** Closes every client opened so far. */
  close(): Promise<void>;
}

/** The Redis client options of a role: REDIS_TLS_CA_FILE for both; a CLI command waits for the connection a little. */
export const redisOptionsFor = (
  settings: RedisSettings,
  role: Role,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): RedisOptions => ({
  ...(settings.tlsCaFile ? { tls: { ca: [readFile(settings.tlsCaFile)] } } : {}),
  ...(role === 'cli' ? { enableOfflineQueue: true, retryStrategy: (times: number) => (times > 3 ? null : 200) } : {}),
});

const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};

export const createWiring = (settings: Settings, logger: Logger, options: WiringOptions): Wiring => {
  const { role, metrics } = options;
  const name = role === 'cli' ? 'casestream-cli' : 'casestream';
  const maxBatch = settings.mongo.maxBatch;
  let opened: { mongo?: Promise<MongoConnection>; redis?: Redis; producer?: Promise<Producer> } = {};

  const mongo = once(() => {
    opened.mongo = (async () => {
      const connection = await connectMongo({
        uri: settings.mongo.uri,
        dbName: settings.mongo.dbName,
        appName: name,
        serverMode: settings.mongo.serverMode,
      });
      if (role === 'service') {
        await ensureIndexes(connection);
        if (connection.ferretdb) logger.info('the database is FerretDB: only constraint indexes, read-model guards checked by casestream');
      }
      return connection;
    })();
    return opened.mongo;
  });
  const db = async () => (await mongo()).db;
  const redis = once(() => {
    opened.redis = createRedisClient(settings.redis.url, {
      logger: role === 'cli' ? logger : logger.child({ component: 'redis' }),
      ...(role === 'cli' ? { connectionName: name } : {}),
      overrides: redisOptionsFor(settings.redis, role),
    });
    return opened.redis;
  });
  const kafka = once(() =>
    createKafka(
      {
        brokers: settings.kafka.brokers,
        clientId: role === 'cli' ? `${settings.kafka.clientId}-cli` : settings.kafka.clientId,
        security: kafkaSecurity(settings.kafka.security),
      },
      role === 'cli' ? logger : logger.child({ component: 'kafka' }),
    ),
  );
  const producer = once(() => {
    opened.producer = (async () => {
      const p = createProducer(kafka());
      await p.connect();
      return p;
    })();
    return opened.producer;
  });
  const eventStore = once(async () =>
    createMongoEventStore(await db(), {
      maxBatch,
      snapshotEvery: settings.mongo.snapshotEvery,
      outboxGraceMs: settings.pipeline.outboxGraceMs,
    }),
  );
  const kafkaSinks = once(async () => {
    const store = await eventStore();
    return createKafkaSinks(await producer(), {
      notificationTopic: settings.kafka.topics.notifications,
      deadLetterTopic: settings.kafka.topics.deadLetters,
      maxBatch,
      markPublished: (ids) => store.markPublished(ids),
      maxDeadLetterBytes: settings.limits.maxRecordBytes,
      maxDeadLetterHeaderBytes: settings.limits.deadLetterMaxHeaderBytes,
      rawEventsTopic: settings.kafka.topics.clientData,
      onValueOmitted: (record, bytes) => {
        metrics?.deadLettersValueOmitted.inc({ topic: record.topic });
        logger.warn({ position: describePosition(record), bytes }, 'dead letter too large for the broker: sent without its value');
      },
    });
  });
  const ruleLookup = once(() => {
    const { configServiceUrl: url, timeoutMs } = settings.rules;
    const client = url ? createConfigServiceClient({ url, timeoutMs }) : undefined;
    return createCachedRuleLookup({
      url,
      ...(client ? { client: metrics ? timedConfigServiceClient(client, metrics) : client } : {}),
      timeoutMs,
      redis: redis(),
      ttlSeconds: settings.rules.cacheTtlSeconds,
      negativeTtlSeconds: settings.rules.negativeTtlSeconds,
      staleTtlSeconds: settings.rules.staleTtlSeconds,
      logger: role === 'cli' ? logger : logger.child({ component: 'rules' }),
    });
  });

  return {
    settings,
    logger,
    mongo,
    redis,
    kafka,
    producer,
    eventStore,
    readModels: once(async () => {
      const connection = await mongo();
      return createMongoReadModelStore(connection.db, { maxBatch, guards: connection.accommodations.guards });
    }),
    rawEvents: once(async () => createMongoRawEventLog(await db(), { maxBatch })),
    lookupFailures: once(async () => createMongoLookupFailures(await db(), { maxBatch })),
    commandResults: once(async () => createCommandResultStore(await db(), { maxBatch })),
    personalData: once(async () => createMongoPersonalDataStore(await db())),
    kafkaSinks,
    commandPublisher: once(async () => createKafkaCommandPublisher(await producer(), settings.kafka.topics.commands)),
    ruleLookup,
    async close() {
      const { mongo: m, redis: r, producer: p } = opened;
      opened = {};
      await Promise.allSettled([p?.then((x) => x.disconnect()), m?.then((x) => x.close())]);
      if (r) await r.quit().catch(() => r.disconnect());
    },
  };
};
