import { readFileSync } from 'node:fs';
import { catchError, concatMap, EMPTY, filter, from, lastValueFrom, map, share, tap } from 'rxjs';
import { isKeyReused } from './domain/keyReuse.js';
import { describeError } from './lib/errors.js';
import { casePipeline } from './streams/casePipeline.js';
import { consumeLoop } from './streams/consumeLoop.js';
import { Intake } from './streams/intake.js';
import type { PipelinePorts } from './streams/ports.js';
import { outboxRelay } from './streams/outboxRelay.js';
import { shutDown } from './streams/shutdown.js';
import { watchStalls } from './streams/stallWatch.js';
import { describePosition } from './streams/records.js';
import { createKafka } from './infra/kafka/kafkaClient.js';
import { kafkaSecurity } from './infra/kafka/kafkaSecurity.js';
import { createKafkaRecordSource } from './infra/kafka/kafkaRecordSource.js';
import { createKafkaSinks, createProducer } from './infra/kafka/kafkaSinks.js';
import { ensureTopics } from './infra/kafka/ensureTopics.js';
import { safeUrl, type Logger } from './infra/logger.js';
import { createCommandResultStore, commandResultOf } from './infra/mongo/commandResults.js';
import { createKafkaCommandPublisher } from './infra/http/commandPublisher.js';
import { configServiceCheck, createHealthCheck, createLivenessCheck, createReadinessCheck, kafkaCheck, mongoCheck, redisCheck } from './infra/http/health.js';
import { startHttpServer } from './infra/http/server.js';
import { casestreamMetrics, type CasestreamMetricSources } from './infra/metrics/casestreamMetrics.js';
import {
  countPendingNotifications,
  createConsumerLagTracker,
  createEndToEndTracker,
  instrumentPorts,
  pollValue,
  timedConfigServiceClient,
} from './infra/metrics/instrument.js';
import { Registry } from './infra/metrics/registry.js';
import { createConfigServiceClient } from './infra/rules/configServiceClient.js';
import { connectMongo, ensureIndexes } from './infra/mongo/connect.js';
import { createMongoEventStore } from './infra/mongo/eventStore.js';
import { createMongoLookupFailures } from './infra/mongo/lookupFailures.js';
import { createMongoRawEventLog } from './infra/mongo/rawEventLog.js';
import { createMongoReadModelStore } from './infra/mongo/readModelStore.js';
import { createCachedRuleLookup } from './infra/rules/cachedRuleLookup.js';
import { createRedisClient } from './infra/rules/redisClient.js';
import { httpHost, isLoopbackHost, partitionsConsumedConcurrently, type Settings } from './infra/settings.js';

export interface RunningService {
  /** Settles when the pipeline has stopped (after `stop`, or on a fatal error). */
  readonly finished: Promise<void>;
  /** Stops fetching, lets in-flight work finish within SHUTDOWN_TIMEOUT_MS, commits, closes every client. */
  stop(): Promise<void>;
  /** Where the HTTP API, health and metrics listen (HTTP_PORT, or the port picked for 0). */
  readonly httpPort: number;
}

/**
 * Starts casestream: connects to MongoDB (creating indexes), Redis, the Configuration Service and
 * Kafka (creating missing topics), then consumes client data and case commands until stopped.
 */
export const startService = async (settings: Settings, logger: Logger): Promise<RunningService> => {
  const topics = {
    clientData: settings.KAFKA_TOPIC_NAME,
    commands: settings.KAFKA_COMMAND_TOPIC,
  };
  logger.info(
    { mongo: safeUrl(settings.MONGO_DETAILS), db: settings.DB_NAME, brokers: settings.KAFKA_BOOTSTRAP_SERVERS, redis: safeUrl(settings.REDIS_URL) },
    'starting casestream',
  );

  const mongo = await connectMongo({ uri: settings.MONGO_DETAILS, dbName: settings.DB_NAME, appName: 'casestream', serverMode: settings.DB_SERVER_MODE });
  await ensureIndexes(mongo);
  if (mongo.ferretdb) logger.info('the database is FerretDB: only constraint indexes, read-model guards checked by casestream');
  const redis = createRedisClient(settings.REDIS_URL, {
    logger: logger.child({ component: 'redis' }),
    ...(settings.REDIS_TLS_CA_FILE ? { overrides: { tls: { ca: [readFileSync(settings.REDIS_TLS_CA_FILE, 'utf8')] } } } : {}),
  });
  const registry = new Registry();
  const metricSources: CasestreamMetricSources = {};
  const metrics = casestreamMetrics(registry, metricSources);
  const rules = createCachedRuleLookup({
    url: settings.CONFIG_SERVICE_URL,
    ...(settings.CONFIG_SERVICE_URL
      ? { client: timedConfigServiceClient(createConfigServiceClient({ url: settings.CONFIG_SERVICE_URL, timeoutMs: settings.DEFAULT_HTTP_TIMEOUT * 1000 }), metrics) }
      : {}),
    timeoutMs: settings.DEFAULT_HTTP_TIMEOUT * 1000,
    redis,
    ttlSeconds: settings.CONFIG_CACHE_TTL_SECONDS,
    negativeTtlSeconds: settings.CONFIG_CACHE_NEGATIVE_TTL_SECONDS,
    staleTtlSeconds: settings.CONFIG_CACHE_STALE_TTL_SECONDS,
    logger: logger.child({ component: 'rules' }),
  });
  metricSources.ruleStats = () => rules.stats();
  if (!settings.CONFIG_SERVICE_URL) logger.warn({}, 'CONFIG_SERVICE_URL is not set: notifications are disabled');

  const kafka = createKafka({ brokers: settings.KAFKA_BOOTSTRAP_SERVERS, clientId: settings.KAFKA_CLIENT_ID, security: kafkaSecurity(settings) }, logger.child({ component: 'kafka' }));
  const created = await ensureTopics(
    kafka,
    [settings.KAFKA_TOPIC_NAME, settings.KAFKA_COMMAND_TOPIC, settings.KAFKA_DLQ_TOPIC, settings.NOTIFICATION_KAFKA_TOPIC],
    settings.KAFKA_TOPIC_PARTITIONS,
  );
  if (created.length > 0) logger.info({ topics: created }, 'created missing topics');
  const producer = createProducer(kafka);
  await producer.connect();

  const eventStore = createMongoEventStore(mongo.db, { maxBatch: settings.DB_MAX_BATCH });
  const sinks = createKafkaSinks(producer, {
    notificationTopic: settings.NOTIFICATION_KAFKA_TOPIC,
    deadLetterTopic: settings.KAFKA_DLQ_TOPIC,
    maxBatch: settings.DB_MAX_BATCH,
    markPublished: (ids) => eventStore.markPublished(ids),
    maxDeadLetterBytes: settings.MAX_RECORD_BYTES,
    maxDeadLetterHeaderBytes: settings.DLQ_MAX_HEADER_BYTES,
    rawEventsTopic: settings.KAFKA_TOPIC_NAME,
    onValueOmitted: (record, bytes) => {
      metrics.deadLettersValueOmitted.inc({ topic: record.topic });
      logger.warn({ position: describePosition(record), bytes }, 'dead letter too large for the broker: sent without its value');
    },
  });
  const commandResults = createCommandResultStore(mongo.db, { maxBatch: settings.DB_MAX_BATCH });
  const ports: PipelinePorts = instrumentPorts(
    {
      eventStore,
      readModels: createMongoReadModelStore(mongo.db, { maxBatch: settings.DB_MAX_BATCH, guards: mongo.ferretdb ? 'client' : 'server' }),
      rawEvents: createMongoRawEventLog(mongo.db, { maxBatch: settings.DB_MAX_BATCH }),
      rules,
      notifications: sinks.notifications,
      deadLetters: sinks.deadLetters,
      lookupFailures: createMongoLookupFailures(mongo.db, { maxBatch: settings.DB_MAX_BATCH }),
      commandResults: {
        record: (c) => {
          const result = commandResultOf(c, c.command_id);
          return result ? commandResults.record(result) : EMPTY;
        },
      },
    },
    metrics,
  );

  const intake = new Intake({ maxMessages: settings.MAX_IN_FLIGHT_MESSAGES, maxBytes: settings.MAX_IN_FLIGHT_BYTES });
  const batchesAtOnce = partitionsConsumedConcurrently(settings);
  const source = createKafkaRecordSource(kafka, {
    groupId: settings.KAFKA_CONSUMER_GROUP_ID,
    topics: [topics.clientData, topics.commands],
    partitionsConsumedConcurrently: batchesAtOnce,
    intake,
    logger: logger.child({ component: 'consumer' }),
    onCrash: (restart) => metrics.consumerCrashes.inc({ restart: String(restart) }),
  });
  const lag = createConsumerLagTracker(source.consumer);
  metricSources.consumerLag = lag.snapshot;
  metricSources.messagesInFlight = () => intake.messagesInFlight;
  metricSources.bytesInFlight = () => intake.bytesInFlight;
  let stalledNow = 0;
  metricSources.partitionsStalled = () => stalledNow;
  const stalls = watchStalls(intake, { stallMs: settings.PARTITION_STALL_MS, everyMs: Math.min(5_000, settings.PARTITION_STALL_MS) }).subscribe((report) => {
    stalledNow = report.stalled.length;
    for (const s of report.newlyStalled) {
      metrics.partitionStalls.inc({ topic: s.topic, partition: s.partition });
      logger.warn({ position: describePosition(s), since_ms: s.since_ms }, 'partition stalled: its oldest message has made no progress');
    }
  });
  const outboxPending = pollValue(() => countPendingNotifications(mongo.db), 15_000);
  metricSources.outboxPending = outboxPending.current;
  const endToEnd = createEndToEndTracker(metrics);
  const pipeline = casePipeline(ports, {
    topics,
    limits: {
      maxRecordBytes: settings.MAX_RECORD_BYTES,
      maxHeaderBytes: settings.MAX_HEADER_BYTES,
      maxIdempotencyKeyLength: settings.MAX_IDEMPOTENCY_KEY_LENGTH,
      maxJsonDepth: settings.MAX_JSON_DEPTH,
      maxStringLength: settings.MAX_STRING_LENGTH,
      maxPersons: settings.MAX_PERSONS,
      maxBeneficialOwners: settings.MAX_BENEFICIAL_OWNERS,
      maxListItems: settings.MAX_LIST_ITEMS,
      maxNotesPerCommand: settings.MAX_NOTES_PER_COMMAND,
      maxErrorDetails: settings.MAX_ERROR_DETAILS,
    },
    actors: { maxActiveCases: settings.MAX_ACTIVE_CASES, idleMs: settings.CASE_IDLE_MS, keepReleased: settings.CASE_STATES_KEPT },
    hooks: { onActorsChanged: (n) => metrics.activeCaseActors.set(n) },
    handler: {
      maxConflictRetries: settings.MAX_CONFLICT_RETRIES,
      retryInitialMs: settings.RETRY_INITIAL_MS,
      retryMaxMs: settings.RETRY_MAX_MS,
      maxNotesPerDocument: settings.MAX_NOTES_PER_DOCUMENT,
      onRetry: (error, attempt, delayMs) =>
        logger.warn({ error: describeError(error), attempt, delayMs }, 'infrastructure failure, retrying'),
    },
  });

  const counted = source.records.pipe(
    tap((r) => {
      metrics.messagesConsumed.inc({ topic: r.topic, partition: r.partition });
      endToEnd.received(r);
    }),
  );
  const loop = counted.pipe(consumeLoop(pipeline, { intake, commitEveryMs: settings.COMMIT_INTERVAL_MS }), share());
  const commit = (positions: Parameters<typeof source.commit>[0]) =>
    from(source.commit(positions)).pipe(
      catchError((error: unknown) => {
        // A commit lost to a rebalance is harmless: the partition's next owner redoes idempotent work.
        logger.warn({ error: String(error), positions }, 'offset commit failed');
        return EMPTY;
      }),
    );
  const finished = lastValueFrom(
    loop.pipe(
      tap((e) => {
        if (e.kind !== 'completed') return;
        const c = e.completion;
        (c.outcome === 'processed' ? metrics.messagesProcessed : metrics.messagesRejected).inc({ topic: c.position.topic, partition: c.position.partition });
        if (isKeyReused(c.reason)) metrics.idempotencyKeysReused.inc({ topic: c.position.topic, partition: c.position.partition });
        endToEnd.completed(c.position);
        if (c.outcome === 'rejected') logger.warn({ position: describePosition(c.position), reason: c.reason }, 'message rejected to the dead-letter topic');
        else logger.debug({ position: describePosition(c.position), case_id: c.case_id, events: c.event_ids.length }, 'message processed');
      }),
      filter((e) => e.kind === 'commit'),
      concatMap((e) => (e.kind === 'commit' ? commit(e.positions) : EMPTY)),
      map(() => undefined),
    ),
    { defaultValue: undefined },
  );
  const relay = outboxRelay(
    { pendingNotifications: (limit, before) => eventStore.pendingNotifications(limit, before) },
    ports.notifications,
    { intervalMs: settings.OUTBOX_RELAY_INTERVAL_MS, batchSize: settings.OUTBOX_BATCH, graceMs: settings.OUTBOX_GRACE_MS },
  ).subscribe((report) => {
    if (report.kind === 'failed') logger.warn({ error: String(report.error), published: report.published }, 'outbox relay round failed; retrying next round');
    else if (report.published > 0) logger.info({ published: report.published }, 'outbox relay published stored notifications');
  });
  await source.start();
  const http = await startHttpServer({
    port: settings.HTTP_PORT,
    host: httpHost(settings),
    db: mongo.db,
    logger: logger.child({ component: 'http' }),
    ...(settings.API_TOKEN ? { apiToken: settings.API_TOKEN } : {}),
    limits: {
      maxBodyBytes: settings.HTTP_MAX_BODY_BYTES,
      maxPageSize: settings.API_MAX_PAGE_SIZE,
      maxSkip: settings.API_MAX_SKIP,
      maxJsonDepth: settings.MAX_JSON_DEPTH,
      maxIdempotencyKeyLength: settings.MAX_IDEMPOTENCY_KEY_LENGTH,
      maxErrorDetails: settings.MAX_ERROR_DETAILS,
    },
    commands: createKafkaCommandPublisher(producer, settings.KAFKA_COMMAND_TOPIC),
    health: createHealthCheck({
      kafka: kafkaCheck(source.joined),
      mongodb: mongoCheck(mongo.db),
      redis: redisCheck(redis),
      config_service: configServiceCheck(settings.CONFIG_SERVICE_URL, () => rules.stats()),
    }),
    ready: createReadinessCheck(source.joined, mongo.db),
    live: createLivenessCheck(source.deadReason),
    stalled: () => intake.stalled(settings.PARTITION_STALL_MS),
    metrics: () => registry.render(),
  });
  logger.info({ port: http.port }, 'HTTP API, health and metrics listening');
  if (!settings.API_TOKEN && !isLoopbackHost(httpHost(settings))) {
    logger.warn(
      { host: httpHost(settings) },
      'THE API IS OPEN: it listens beyond loopback without API_TOKEN (HTTP_ALLOW_UNAUTHENTICATED=true); anyone who reaches this port can read every case',
    );
  }
  logger.info(
    { topics: [topics.clientData, topics.commands], group: settings.KAFKA_CONSUMER_GROUP_ID, partitionsConsumedConcurrently: batchesAtOnce },
    'consuming',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info({ inFlight: intake.messagesInFlight }, 'stopping: no new messages; finishing in-flight work');
      await shutDown(
        {
          stopIntake: () => {
            source.stopFetching();
            relay.unsubscribe();
            stalls.unsubscribe();
          },
          drained: finished,
          commit: () => source.commit(intake.takeCommittable()),
          close: async () => {
            await http.close();
            lag.stop();
            outboxPending.stop();
            await Promise.allSettled([source.close(), producer.disconnect()]);
            redis.disconnect();
            await mongo.close();
          },
        },
        {
          timeoutMs: settings.SHUTDOWN_TIMEOUT_MS,
          onTimeout: () => logger.warn({ inFlight: intake.messagesInFlight }, 'shutdown timeout: abandoning unfinished messages, they will be redelivered'),
          onCommitFailed: (error) => logger.warn({ error: String(error) }, 'final commit failed'),
        },
      );
      logger.info({}, 'stopped');
    })());
  return { finished, stop, httpPort: http.port };
};
