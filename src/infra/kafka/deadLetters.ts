import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

const ERROR_HEADERS = ['x-error-reason', 'x-error-details', 'x-source-topic', 'x-source-partition', 'x-source-offset'];

const text = (v: IHeaders[string]): string => (Array.isArray(v) ? String(v[0] ?? '') : v === undefined ? '' : v.toString());

/**
 * Every message on the dead-letter topic, read from the beginning up to the end offsets as they
 * are now, with a throwaway consumer group that commits nothing and is deleted afterwards.
 */
export const readDeadLetters = async (kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<DeadLetter[]> => {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `casestream-dlq-reader-${randomUUID()}`;
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
    const pending = new Set([...ends].filter(([, o]) => o.high > o.low).map(([p]) => p));
    const letters: DeadLetter[] = [];
    if (pending.size === 0) return letters;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reading ${topic} took longer than ${timeoutMs} ms`)), timeoutMs);
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = ends.get(partition);
            if (!end || BigInt(message.offset) >= end.high) return;
            letters.push({
              partition,
              offset: message.offset,
              key: message.key ?? null,
              value: message.value ?? null,
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, text(v)])),
            });
            if (BigInt(message.offset) + 1n >= end.high) pending.delete(partition);
            if (pending.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
};

/** Sends a dead letter back to the topic it came from, as it was received (error headers removed). */
export const resubmitDeadLetter = async (
  producer: Producer,
  letter: DeadLetter,
): Promise<{ topic: string; partition: number; offset: string }> => {
  const topic = letter.headers['x-source-topic'];
  if (!topic) throw new Error(`dead letter ${letter.partition}/${letter.offset} has no x-source-topic header`);
  const headers = Object.fromEntries(Object.entries(letter.headers).filter(([k]) => !ERROR_HEADERS.includes(k)));
  const [sent] = await producer.send({ topic, acks: -1, messages: [{ key: letter.key, value: letter.value, headers }] });
  return { topic, partition: sent?.partition ?? -1, offset: sent?.baseOffset ?? '?' };
};
