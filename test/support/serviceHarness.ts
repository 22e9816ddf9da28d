import * as E from 'fp-ts/lib/Either.js';
import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage, type Producer } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/infra/logger.js';
import { decodeEnvSettings, groupSettings, type EnvSettings, type Settings } from '../../src/infra/settings.js';
import { startService, type RunningService } from '../../src/service.js';
import { KAFKA_BROKERS, MONGO_URL, REDIS_URL, uniqueName, waitFor } from './stack.js';

export interface ReceivedMessage {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
  readonly offset: string;
}

const textHeaders = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v ?? '')]));

const received = (m: KafkaMessage): ReceivedMessage => ({
  key: m.key?.toString() ?? null,
  value: m.value?.toString() ?? null,
  headers: textHeaders(m.headers),
  offset: m.offset,
});

/** A message a test sends: its value, and the `message-id` header, key and other headers it should have. */
export interface OutgoingMessage {
  readonly value: unknown;
  readonly messageId?: string;
  readonly key?: string;
  /** e.g. a producer's `traceparent` */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Tests cache rules in a Redis database of their own, so they never leave rules for `npm run dev` to find. */
export const HARNESS_REDIS_URL = `${REDIS_URL}/14`;

/**
 * casestream running in this process against the real stack, on topics, a consumer group and a
 * database of its own, with a watcher on its notification and dead-letter topics.
 */
export class ServiceHarness {
  /** The settings by environment variable name (what a CLI run with the same settings is given). */
  readonly env: EnvSettings;
  readonly settings: Settings;
  readonly logLines: string[] = [];
  readonly notifications: ReceivedMessage[] = [];
  readonly deadLetters: ReceivedMessage[] = [];
  private readonly kafka = new Kafka({ clientId: 'casestream-tests', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  private producer: Producer | undefined;
  private watcher: Consumer | undefined;
  private mongo: MongoClient | undefined;
  private service: RunningService | undefined;

  constructor(overrides: Record<string, string> = {}) {
    const id = uniqueName('cs');
    const decoded = decodeEnvSettings({
      KAFKA_BOOTSTRAP_SERVERS: KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_NAME: `${id}.kyc_events`,
      KAFKA_COMMAND_TOPIC: `${id}.case_commands`,
      KAFKA_DLQ_TOPIC: `${id}.kyc_events.dlq`,
      NOTIFICATION_KAFKA_TOPIC: `${id}.notification_events`,
      KAFKA_CONSUMER_GROUP_ID: `${id}.group`,
      KAFKA_TOPIC_PARTITIONS: '3',
      MONGO_DETAILS: MONGO_URL,
      DB_NAME: id,
      REDIS_URL: HARNESS_REDIS_URL,
      LOG_LEVEL: 'info',
      CASE_IDLE_MS: '1000',
      COMMIT_INTERVAL_MS: '50',
      RETRY_INITIAL_MS: '50',
      RETRY_MAX_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      ...overrides,
    });
    if (E.isLeft(decoded)) throw new Error(decoded.left);
    this.env = decoded.right;
    this.settings = groupSettings(decoded.right);
  }

  /** The base URL of the service's HTTP API. */
  get httpUrl(): string {
    if (!this.service) throw new Error('harness not started');
    return `http://127.0.0.1:${this.service.httpPort}`;
  }

  get db(): Db {
    if (!this.mongo) throw new Error('harness not started');
    return this.mongo.db(this.env.DB_NAME);
  }

  async start(): Promise<this> {
    const lines = this.logLines;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    this.mongo = await MongoClient.connect(this.env.MONGO_DETAILS);
    this.service = await startService(this.settings, createLogger(this.settings.logLevel, sink));
    // Idempotent: a produce that kafkajs retries after a timeout on a busy broker must not write a
    // second record, which casestream would rightly treat as another message (another offset).
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.watcher = this.kafka.consumer({ groupId: `${this.env.KAFKA_CONSUMER_GROUP_ID}.watcher` });
    await this.watcher.connect();
    await this.watcher.subscribe({ topics: [this.env.NOTIFICATION_KAFKA_TOPIC, this.env.KAFKA_DLQ_TOPIC], fromBeginning: true });
    await this.watcher.run({
      eachMessage: async ({ topic, message }) => {
        (topic === this.env.KAFKA_DLQ_TOPIC ? this.deadLetters : this.notifications).push(received(message));
      },
    });
    return this;
  }

  /** Sends client-data messages (objects are sent as JSON, strings and Buffers as they are), with more headers when given. */
  async sendClientData(...messages: OutgoingMessage[]): Promise<void> {
    await this.send(this.env.KAFKA_TOPIC_NAME, messages);
  }

  async sendCommand(...messages: Omit<OutgoingMessage, 'messageId'>[]): Promise<void> {
    await this.send(this.env.KAFKA_COMMAND_TOPIC, messages);
  }

  private async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.producer!.send({
      topic,
      messages: messages.map((m) => ({
        key: m.key ?? null,
        value: Buffer.isBuffer(m.value) ? m.value : typeof m.value === 'string' ? m.value : JSON.stringify(m.value),
        headers: { ...(m.messageId ? { 'message-id': m.messageId } : {}), ...m.headers },
      })),
    });
  }

  /** The case created from a client message, found by client id. */
  caseOf(client_id: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return waitFor(() => this.db.collection('cases').findOne({ client_id }, { projection: { _id: 0 } }), timeoutMs, {
      description: `the case of ${client_id}`,
    }).catch((error: unknown) => {
      // A case that never comes is hard to explain afterwards: the service's own account goes with the failure.
      throw new Error(`${String(error)}\nthe service's last log lines:\n${this.logLines.slice(-30).join('\n')}`);
    });
  }

  events(aggregate_id: string): Promise<Record<string, unknown>[]> {
    return this.db
      .collection('domain_events')
      .find({ aggregate_id }, { projection: { _id: 0 } })
      .sort({ version: 1 })
      .toArray();
  }

  /** Stops the service alone, keeping its database, topics and watcher (stop() ends the rest). */
  async stopService(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }

  async stop(): Promise<void> {
    await this.stopService();
    await this.watcher?.disconnect();
    await this.producer?.disconnect();
    await this.mongo
      ?.db(this.env.DB_NAME)
      .dropDatabase()
      .catch(() => undefined);
    await this.mongo?.close();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({
        topics: [this.env.KAFKA_TOPIC_NAME, this.env.KAFKA_COMMAND_TOPIC, this.env.KAFKA_DLQ_TOPIC, this.env.NOTIFICATION_KAFKA_TOPIC],
      })
      .catch(() => undefined);
    await admin.disconnect();
  }
}
