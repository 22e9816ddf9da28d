import { Kafka, logLevel, type Admin, type Consumer, type IHeaders, type Message, type Producer } from 'kafkajs';
import { KAFKA_BROKERS, sleep } from '../../support/stack.js';

/** Kafka helpers of the fault suite: topics, a producer that outlives a broker outage, topic readers. */

export const faultKafka = (clientId: string): Kafka =>
  new Kafka({ clientId, brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 200, retries: 5 } });

/** Largest value the test producer tries to send (a multi-megabyte value must reach the broker to be refused there). */
export const PRODUCER_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export interface OutgoingMessage {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly messageId: string;
}

const toKafka = (m: OutgoingMessage): Message => ({ key: m.key, value: m.value, headers: { 'message-id': m.messageId } });

export const isTooLarge = (error: unknown): boolean => {
  const text = `${String(error)} ${(error as { type?: string } | null)?.type ?? ''}`;
  return /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE|too large/i.test(text);
};

/**
 * A producer that never auto-creates topics and, when the broker is away, keeps retrying a batch
 * until `giveUpAfterMs` (a batch sent again after an unclear failure may land twice: casestream
 * must dedupe it on the message-id).
 */
export class Driver {
  private readonly producer: Producer;
  private connected = false;
  /** Batches that had to be sent more than once. */
  resends = 0;
  produced = 0;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, retry: { initialRetryTime: 200, retries: 3 } });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Sends messages in batches, in order; retries a failed batch (Kafka outage) until the deadline. */
  async send(messages: readonly OutgoingMessage[], { batchSize = 250, giveUpAfterMs = 180_000 } = {}): Promise<void> {
    for (let i = 0; i < messages.length; i += batchSize) {
      const batch = messages.slice(i, i + batchSize).map(toKafka);
      const deadline = Date.now() + giveUpAfterMs;
      for (let attempt = 0; ; attempt++) {
        try {
          if (!this.connected) await this.connect();
          await this.producer.send({ topic: this.topic, acks: -1, messages: batch });
          break;
        } catch (error) {
          if (isTooLarge(error) || Date.now() > deadline) throw error;
          if (attempt === 0) this.resends += 1;
          await sleep(1000);
        }
      }
      this.produced += batch.length;
    }
  }

  /** One message on its own; rejects with the broker's error (used for the multi-megabyte value). */
  async sendOne(message: OutgoingMessage): Promise<void> {
    if (!this.connected) await this.connect();
    await this.producer.send({ topic: this.topic, acks: -1, messages: [toKafka(message)] });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

export interface ReadMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

const textHeaders = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : v === undefined ? '' : v.toString()]),
  );

/**
 * Reads a topic from the beginning with a consumer group of its own, collecting every message;
 * `caughtUp` says whether it has seen everything up to the current high watermarks.
 */
export class TopicReader {
  readonly messages: ReadMessage[] = [];
  private readonly consumer: Consumer;
  private readonly seen = new Map<number, bigint>();

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly topic: string,
    groupId: string,
  ) {
    this.consumer = kafka.consumer({
      groupId,
      maxBytesPerPartition: PRODUCER_MAX_REQUEST_BYTES,
      maxBytes: 4 * PRODUCER_MAX_REQUEST_BYTES,
      maxWaitTimeInMs: 500,
    });
  }

  async start(): Promise<this> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.messages.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value ?? null,
          headers: textHeaders(message.headers),
        });
        this.seen.set(partition, BigInt(message.offset) + 1n);
      },
    });
    return this;
  }

  /** True once every partition has been read up to its high watermark as of now. */
  async caughtUp(): Promise<boolean> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    return offsets.every((o) => BigInt(o.high) <= (this.seen.get(o.partition) ?? BigInt(o.low)));
  }

  async waitCaughtUp(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.caughtUp().catch(() => false))) {
      if (Date.now() > deadline)
        throw new Error(`reading ${this.topic}: not caught up after ${timeoutMs} ms (${this.messages.length} read)`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export const deleteTopicsQuietly = async (admin: Admin, topics: readonly string[]): Promise<void> => {
  await admin.deleteTopics({ topics: [...topics], timeout: 10_000 }).catch(() => undefined);
};
