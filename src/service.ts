import * as E from 'fp-ts/lib/Either.js';
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
import { createKafkaRecordSource } from './infra/kafka/kafkaRecordSource.js';
import { ensureTopics } from './infra/kafka/ensureTopics.js';
import { safeUrl, type Logger } from './infra/logger.js';
import { commandResultOf } from './infra/mongo/commandResults.js';
import {
  configServiceCheck,
  createHealthCheck,
  createLivenessCheck,
  createReadinessCheck,
  kafkaCheck,
  mongoCheck,
  redisCheck,
} from './infra/http/health.js';
import { loadApiTokens, type ApiTokens } from './infra/http/apiTokens.js';
import { startHttpServer } from './infra/http/server.js';
import { casestreamMetrics, type CasestreamMetricSources } from './infra/metrics/casestreamMetrics.js';
import { processMetrics } from './infra/metrics/processMetrics.js';
import { countPendingNotifications } from './infra/mongo/outboxStatus.js';
import { createConsumerLagTracker, createEndToEndTracker, instrumentPorts, pollValue } from './infra/metrics/instrument.js';
import { Registry } from './infra/metrics/registry.js';
import { isLoopbackHost, SettingsError, type Settings } from './infra/settings.js';
import { createWiring } from './wiring.js';
import { startRetention, topicConfigs } from './retention.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

export interface RunningService {
  /** Settles when the pipeline has stopped (after `stop`, or on a fatal error). */
  readonly finished: Promise<void>;
  /** Stops fetching, lets in-flight work finish within SHUTDOWN_TIMEOUT_MS, commits, closes every client. */
  stop(): Promise<void>;
  /** Where the HTTP API, health and metrics listen (HTTP_PORT, or the port picked for 0). */
  readonly httpPort: number;
}

/**
 * Starts casestream: tracing when an OTLP endpoint is set, then connects to MongoDB (creating
 * indexes), Redis, the Configuration Service and Kafka (creating missing topics), then consumes
 * client data and case commands until stopped. Stopping exports the last spans.
 */
export const startService = async (settings: Settings, logger: Logger): Promise<RunningService> => {
  // Before anything connects: a bad tokens file is a settings error, not an outage.
  const tokens = loadApiTokens(settings.http);
  if (E.isLeft(tokens)) throw new SettingsError(tokens.left);
  const telemetry = startTelemetry(settings.telemetry, logger, { maxLinks: settings.mongo.maxBatch });
  try {
    return await start(settings, logger, telemetry, tokens.right);
  } catch (error) {
    await telemetry.shutdown();
    throw error;
  }
};

const start = async (settings: Settings, logger: Logger, telemetry: Telemetry, tokens: ApiTokens | undefined): Promise<RunningService> => {
  const { kafka: k, pipeline: p, limits } = settings;
  logger.info(
    { mongo: safeUrl(settings.mongo.uri), db: settings.mongo.dbName, brokers: k.brokers, redis: safeUrl(settings.redis.url) },
    'starting casestream',
  );
  const registry = new Registry();
  const metricSources: CasestreamMetricSources = {};
  const metrics = casestreamMetrics(registry, metricSources);
  processMetrics(registry);
  const wiring = createWiring(settings, logger, { role: 'service', metrics });

  const mongo = await wiring.mongo();
  const rules = wiring.ruleLookup();
  metricSources.ruleStats = () => rules.stats();
  const topics = await ensureTopics(
    wiring.kafka(),
    Object.values(k.topics),
    k.topicPartitions,
    topicConfigs(k.topics.deadLetters, settings.retention),
  );
  if (topics.created.length > 0) logger.info({ topics: topics.created }, 'created missing topics');
  for (const d of topics.differing) logger.warn(d, 'a topic casestream would create otherwise exists with another config: left as it is');
  if (topics.unchecked) logger.warn({ error: topics.unchecked }, "the existing topics' configs could not be read: not checked");
  const retention = await startRetention(mongo, settings.retention, metrics, logger.child({ component: 'retention' }));
  const eventStore = await wiring.eventStore();
  const sinks = await wiring.kafkaSinks();
  const commandResults = await wiring.commandResults();
  const ports: PipelinePorts = instrumentPorts(
    {
      eventStore,
      readModels: await wiring.readModels(),
      rawEvents: await wiring.rawEvents(),
      rules,
      notifications: sinks.notifications,
      outbox: eventStore,
      deadLetters: sinks.deadLetters,
      lookupFailures: await wiring.lookupFailures(),
      personalData: await wiring.personalData(),
      commandResults: {
        record: (c) => {
          const result = commandResultOf(c, c.command_id);
          return result ? commandResults.record(result) : EMPTY;
        },
      },
    },
    metrics,
  );

  const intake = new Intake({ maxMessages: limits.maxInFlightMessages, maxBytes: limits.maxInFlightBytes });
  const inbound = [k.topics.clientData, k.topics.commands];
  const source = createKafkaRecordSource(wiring.kafka(), {
    groupId: k.groupId,
    topics: inbound,
    partitionsConsumedConcurrently: k.partitionsConsumedConcurrently,
    fetch: k.fetch,
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
  const stalls = watchStalls(intake, { stallMs: p.partitionStallMs, everyMs: Math.min(5_000, p.partitionStallMs) }).subscribe((report) => {
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
    topics: { clientData: k.topics.clientData, commands: k.topics.commands },
    limits,
    actors: { maxActiveCases: p.maxActiveCases, idleMs: p.caseIdleMs, keepReleased: p.caseStatesKept },
    hooks: { onActorsChanged: (n) => metrics.activeCaseActors.set(n) },
    handler: {
      maxConflictRetries: p.maxConflictRetries,
      retryInitialMs: p.retryInitialMs,
      retryMaxMs: p.retryMaxMs,
      maxNotesPerDocument: limits.maxNotesPerDocument,
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
  const loop = counted.pipe(consumeLoop(pipeline, { intake, commitEveryMs: p.commitIntervalMs }), share());
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
        (c.outcome === 'processed' ? metrics.messagesProcessed : metrics.messagesRejected).inc({
          topic: c.position.topic,
          partition: c.position.partition,
        });
        if (isKeyReused(c.reason)) metrics.idempotencyKeysReused.inc({ topic: c.position.topic, partition: c.position.partition });
        endToEnd.completed(c.position);
        if (c.outcome === 'rejected')
          logger.warn({ position: describePosition(c.position), reason: c.reason }, 'message rejected to the dead-letter topic');
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
    {
      intervalMs: p.outboxRelayIntervalMs,
      batchSize: p.outboxBatch,
      graceMs: p.outboxGraceMs,
    },
  ).subscribe((report) => {
    if (report.kind === 'failed')
      logger.warn({ error: String(report.error), published: report.published }, 'outbox relay round failed; retrying next round');
    else if (report.published > 0) logger.info({ published: report.published }, 'outbox relay published stored notifications');
  });
  await source.start();
  const http = await startHttpServer({
    port: settings.http.port,
    host: settings.http.host,
    db: mongo.db,
    logger: logger.child({ component: 'http' }),
    ...(tokens ? { tokens } : {}),
    limits: {
      maxBodyBytes: settings.http.maxBodyBytes,
      maxPageSize: settings.http.maxPageSize,
      maxSkip: settings.http.maxSkip,
      maxJsonDepth: limits.maxJsonDepth,
      maxIdempotencyKeyLength: limits.maxIdempotencyKeyLength,
      maxErrorDetails: limits.maxErrorDetails,
    },
    commands: await wiring.commandPublisher(),
    health: createHealthCheck({
      kafka: kafkaCheck(source.joined),
      mongodb: mongoCheck(mongo.db),
      redis: redisCheck(wiring.redis()),
      config_service: configServiceCheck(settings.rules.configServiceUrl, () => rules.stats()),
    }),
    ready: createReadinessCheck(source.joined, mongo.db),
    live: createLivenessCheck(source.deadReason),
    stalled: () => intake.stalled(p.partitionStallMs),
    metrics: () => registry.render(),
  });
  logger.info({ port: http.port }, 'HTTP API, health and metrics listening');
  if (tokens) logger.info({ actors: tokens.actors.map((a) => `${a.name} (${a.scope})`) }, 'API tokens');
  else if (!isLoopbackHost(settings.http.host)) {
    logger.warn(
      { host: settings.http.host },
      'THE API IS OPEN: it listens beyond loopback without API tokens (HTTP_ALLOW_UNAUTHENTICATED=true); anyone who reaches this port can read every case and send commands',
    );
  }
  logger.info({ topics: inbound, group: k.groupId, partitionsConsumedConcurrently: k.partitionsConsumedConcurrently }, 'consuming');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info({ inFlight: intake.messagesInFlight }, 'stopping: no new messages; finishing in-flight work');
      await shutDown(
        {
          stopIntake: () => {
            source.stopFetching();
            relay.unsubscribe();
            retention.stop();
            stalls.unsubscribe();
          },
          drained: finished,
          commit: () => source.commit(intake.takeCommittable()),
          close: async () => {
            await http.close();
            lag.stop();
            outboxPending.stop();
            await source.close().catch(() => undefined);
            await wiring.close();
            await telemetry.shutdown();
          },
        },
        {
          timeoutMs: p.shutdownTimeoutMs,
          onTimeout: () =>
            logger.warn(
              { inFlight: intake.messagesInFlight },
              'shutdown timeout: abandoning unfinished messages, they will be redelivered',
            ),
          onCommitFailed: (error) => logger.warn({ error: String(error) }, 'final commit failed'),
        },
      );
      logger.info({}, 'stopped');
    })());
  return { finished, stop, httpPort: http.port };
};
