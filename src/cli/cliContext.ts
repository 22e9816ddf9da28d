import * as E from 'fp-ts/lib/Either.js';
import type { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { loadEnvironment } from '../infra/envFile.js';
import { createKafka } from '../infra/kafka/kafkaClient.js';
import { kafkaSecurity } from '../infra/kafka/kafkaSecurity.js';
import { createProducer } from '../infra/kafka/kafkaSinks.js';
import { createLogger, type Logger } from '../infra/logger.js';
import { connectMongo, type MongoConnection } from '../infra/mongo/connect.js';
import { createRedisClient } from '../infra/rules/redisClient.js';
import { decodeSettings, type Settings } from '../infra/settings.js';

/** What CLI commands use, each client opened on first use and closed at the end. */
export interface CliContext {
  readonly settings: Settings;
  readonly logger: Logger;
  mongo(): Promise<MongoConnection>;
  redis(): Redis;
  kafka(): Kafka;
  producer(): Promise<Producer>;
  close(): Promise<void>;
}

export const createCliContext = (env: NodeJS.ProcessEnv = process.env): CliContext => {
  const decoded = decodeSettings(loadEnvironment(env));
  if (E.isLeft(decoded)) throw new Error(decoded.left.replace(/\n\s*/g, '; '));
  const settings = decoded.right;
  // Commands print their results on stdout; the service's own logs go to stderr, warnings only.
  const logger = createLogger(settings.LOG_LEVEL === 'info' ? 'warn' : settings.LOG_LEVEL, process.stderr);
  let mongo: Promise<MongoConnection> | undefined;
  let redis: Redis | undefined;
  let kafka: Kafka | undefined;
  let producer: Promise<Producer> | undefined;
  const kafkaClient = () => (kafka ??= createKafka({ brokers: settings.KAFKA_BOOTSTRAP_SERVERS, clientId: `${settings.KAFKA_CLIENT_ID}-cli`, security: kafkaSecurity(settings) }, logger));
  return {
    settings,
    logger,
    mongo: () => (mongo ??= connectMongo({ uri: settings.MONGO_DETAILS, dbName: settings.DB_NAME, appName: 'casestream-cli', serverMode: settings.DB_SERVER_MODE })),
    // Unlike the service, a CLI command waits for Redis to connect, giving up after a few tries.
    redis: () =>
      (redis ??= createRedisClient(settings.REDIS_URL, {
        logger,
        connectionName: 'casestream-cli',
        overrides: { enableOfflineQueue: true, retryStrategy: (times: number) => (times > 3 ? null : 200) },
      })),
    kafka: kafkaClient,
    producer: () =>
      (producer ??= (async () => {
        const p = createProducer(kafkaClient());
        await p.connect();
        return p;
      })()),
    async close() {
      await Promise.allSettled([
        mongo?.then((m) => m.close()),
        producer?.then((p) => p.disconnect()),
        redis ? redis.quit().catch(() => redis?.disconnect()) : undefined,
      ]);
    },
  };
};
