import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { KAFKA_BROKERS } from '../../support/stack.js';

/** Where a produced message landed. */
export interface Position {
  readonly partition: number;
  readonly offset: bigint;
}

/**
 * Kafka as the tests see it from outside the service: sends a message and says where it landed,
 * and reads what a consumer group has committed. casestream commits a partition only up to the
 * first message that is not complete, so a committed offset past a message proves that message
 * was handled to the end (stored, projected, published), without sleeping and hoping.
 */
export class KafkaPositions {
  private readonly kafka = new Kafka({ clientId: 'casestream-tests-positions', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  private readonly producer: Producer = this.kafka.producer();
  private readonly admin: Admin = this.kafka.admin();

  async connect(): Promise<this> {
    await this.producer.connect();
    await this.admin.connect();
    return this;
  }

  /** Sends one JSON message (with a `message-id` header when given) and returns its partition and offset. */
  async send(topic: string, m: { key: string; value: unknown; messageId?: string }): Promise<Position> {
    const [meta] = await this.producer.send({
      topic,
      messages: [{ key: m.key, value: JSON.stringify(m.value), headers: m.messageId ? { 'message-id': m.messageId } : {} }],
    });
    if (!meta || meta.baseOffset === undefined) throw new Error(`no position returned for the message sent to ${topic}`);
    return { partition: meta.partition, offset: BigInt(meta.baseOffset) };
  }

  /** The offset the group will consume next on each partition of the topic (0 when it committed nothing yet). */
  async committed(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const [found] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((found?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset) < 0n ? 0n : BigInt(p.offset)]));
  }

  /** True once the group's commit on the message's partition is past the message: it is complete. */
  async isComplete(groupId: string, topic: string, at: Position): Promise<boolean> {
    return ((await this.committed(groupId, topic)).get(at.partition) ?? 0n) > at.offset;
  }

  /** The next offset to be written on each partition of the topic. */
  async ends(topic: string): Promise<Map<number, bigint>> {
    return new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  }

  /** True when the group has committed every message written so far to the topics: nothing is in flight. */
  async caughtUp(groupId: string, topics: readonly string[]): Promise<boolean> {
    for (const topic of topics) {
      const committed = await this.committed(groupId, topic);
      for (const [partition, end] of await this.ends(topic)) if ((committed.get(partition) ?? 0n) < end) return false;
    }
    return true;
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}
