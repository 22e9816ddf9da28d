import type { Kafka } from 'kafkajs';
import type { MongoClient } from 'mongodb';

/** What the shared stack already holds when a bench starts: earlier runs' data can change its speed. */
export interface StackAtStart {
  readonly mongo_databases: number;
  readonly mongo_size_mb: number;
  readonly kafka_topics: number;
}

export const describeStackAtStart = async (mongo: MongoClient, kafka: Kafka): Promise<StackAtStart> => {
  const { databases } = await mongo.db('admin').admin().listDatabases();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
    return {
      mongo_databases: databases.length,
      mongo_size_mb: Math.round(databases.reduce((sum, d) => sum + (d.sizeOnDisk ?? 0), 0) / 2 ** 20),
      kafka_topics: topics.length,
    };
  } finally {
    await admin.disconnect();
  }
};

/** A warning line when the stack is not empty, or undefined. */
export const leftoverWarning = (s: StackAtStart): string | undefined =>
  s.mongo_databases === 0 && s.kafka_topics === 0
    ? undefined
    : `note: the stack already holds ${s.mongo_databases} database(s) (${s.mongo_size_mb} MB) and ${s.kafka_topics} topic(s) from earlier work; ` +
      'figures compare best across runs on a freshly reset stack (README, Development: the local stack)';
