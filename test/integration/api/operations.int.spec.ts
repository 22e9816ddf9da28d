import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { Admin, Consumer } from 'kafkajs';
import { createHealthCheck, kafkaCheck, mongoCheck, redisCheck, createReadinessCheck } from '../../../src/infra/http/health.js';
import { startHttpServer } from '../../../src/infra/http/server.js';
import { casestreamMetrics, type CasestreamMetricSources } from '../../../src/infra/metrics/casestreamMetrics.js';
import { createConsumerLagTracker } from '../../../src/infra/metrics/instrument.js';
import { Registry } from '../../../src/infra/metrics/registry.js';
import { createRedisClient } from '../../../src/infra/rules/redisClient.js';
import { FakePublisher, RecordingLogger } from '../../unit/http/fakes.js';
import { useTestDatabase } from '../mongo/support.js';
import { connectedRedis } from '../rules/support.js';
import { KAFKA_BROKERS, uniqueName, waitFor } from '../../support/stack.js';

const { Kafka, logLevel } = kafkajs;
const HOST = '127.0.0.1';

describe('operations on the real stack: health checks, consumer lag, /metrics', function () {
  this.timeout(60_000);
  const t = useTestDatabase('ops');
  const kafka = new Kafka({ clientId: 'casestream-ops-it', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  let admin: Admin;
  const topic = uniqueName('ops-lag');
  const groupId = uniqueName('ops-group');

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  });

  after(async () => {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('health checks: MongoDB and Redis up; an unreachable Redis is down and the report degraded; readiness ignores Redis', async () => {
    const redis = await connectedRedis();
    // nothing listens on port 1: the fail-fast client refuses commands at once
    const deadRedis = createRedisClient('redis://127.0.0.1:1', { overrides: { retryStrategy: () => null } });
    deadRedis.on('error', () => undefined);
    try {
      const health = createHealthCheck({
        kafka: kafkaCheck(() => true),
        mongodb: mongoCheck(t.db),
        redis: redisCheck(redis),
        config_service: () => ({ status: 'disabled' }),
      });
      expect(await health()).to.deep.equal({
        status: 'ok',
        components: { kafka: { status: 'up' }, mongodb: { status: 'up' }, redis: { status: 'up' }, config_service: { status: 'disabled' } },
      });
      const degraded = await createHealthCheck({
        kafka: kafkaCheck(() => true),
        mongodb: mongoCheck(t.db),
        redis: redisCheck(deadRedis),
        config_service: () => ({ status: 'disabled' }),
      })();
      expect(degraded.status).to.equal('degraded');
      expect(degraded.components.redis.status).to.equal('down');
      expect(await createReadinessCheck(() => true, t.db)()).to.equal(true);
    } finally {
      redis.disconnect();
      deadRedis.disconnect();
    }
  });

  it('tracks consumer lag per partition from a real consumer group and serves it on /metrics', async () => {
    const producer = kafka.producer();
    await producer.connect();
    let consumer: Consumer | undefined;
    const registry = new Registry();
    const sources: CasestreamMetricSources = {};
    const metrics = casestreamMetrics(registry, sources);
    const logger = new RecordingLogger();
    const server = await startHttpServer({
      port: 0,
      host: HOST,
      db: t.db,
      commands: new FakePublisher(),
      health: async () => ({ status: 'ok', components: {} as never }),
      ready: async () => true,
      metrics: () => registry.render(),
      logger,
    });
    try {
      await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });
      consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      const tracker = createConsumerLagTracker(consumer);
      sources.consumerLag = () => tracker.snapshot(); // assigned after the metrics were declared
      let seen = 0;
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic: tp, partition }) => {
          seen += 1;
          metrics.messagesConsumed.inc({ topic: tp, partition });
        },
      });
      await waitFor(() => seen === 6 && tracker.snapshot().length === 2, 30_000, {
        description: 'six messages and two partitions tracked',
      });
      expect(tracker.snapshot().sort((a, b) => a.partition - b.partition)).to.deep.equal([
        { topic, partition: 0, lag: 0 },
        { topic, partition: 1, lag: 0 },
      ]);
      const res = await fetch(`http://${HOST}:${server.port}/metrics`);
      expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      expect(text).to.contain(`casestream_messages_consumed_total{topic="${topic}",partition="0"} 3`);
      expect(text).to.contain(`casestream_messages_consumed_total{topic="${topic}",partition="1"} 3`);
      expect(text).to.match(new RegExp(`^casestream_consumer_lag\\{topic="${topic}",partition="0"\\} 0$`, 'm'));
      tracker.stop();
    } finally {
      await consumer?.disconnect();
      await producer.disconnect();
      await server.close();
    }
  });
});
