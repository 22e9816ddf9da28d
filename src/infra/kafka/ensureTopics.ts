import type { Kafka } from 'kafkajs';

/**
 * Creates the topics casestream uses when they are missing (automatic topic creation is off on
 * the broker). Existing topics are left as they are.
 */
export const ensureTopics = async (kafka: Kafka, topics: readonly string[], partitions: number): Promise<string[]> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
};
