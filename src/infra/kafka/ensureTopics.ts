import type { Admin, Kafka } from 'kafkajs';

export interface TopicWaitOptions {
  /** How long the topics may take to get a leader for every partition (default 60 s). */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

/** Codes a broker answers while it has not caught up with the controller yet. */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);
/** kafkajs hands the broker's error on as it is, or wrapped once its retries are used up. */
const notYet = (error: unknown): boolean => {
  const e = error as { type?: unknown; originalError?: { type?: unknown } };
  return NOT_YET.has(e.type as string) || NOT_YET.has(e.originalError?.type as string);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the topics that are missing and waits until every partition of them has a leader that
 * answers for its offsets. kafkajs's own `waitForLeaders` gives up on the first "unknown topic or
 * partition", which a broker answers for a while after it restarts with many partitions to load
 * (seen in the fault suite: every topic created just after a broker restart failed so); here that
 * answer means "not yet". A KRaft broker also names a partition's leader in its metadata a moment
 * before that leader serves it: a consumer that asked for its starting offsets in between was
 * refused (NOT_LEADER_FOR_PARTITION) and, in one test run, then fetched nothing for 20 s. Returns
 * the topics it created.
 */
export const createTopicsAndWait = async (
  admin: Admin,
  topics: readonly string[],
  partitions: number,
  options: TopicWaitOptions = {},
): Promise<string[]> => {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
  });
  for (;;) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: missing });
      if (described.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) {
        await Promise.all(missing.map((topic) => admin.fetchTopicOffsets(topic)));
        return missing;
      }
    } catch (error) {
      if (!notYet(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${missing.join(', ')} have no leader for every partition after ${timeoutMs} ms`);
    await sleep(options.pollMs ?? 250);
  }
};

/**
 * Creates the topics casestream uses when they are missing (automatic topic creation is off on
 * the broker). Existing topics are left as they are.
 */
export const ensureTopics = async (kafka: Kafka, topics: readonly string[], partitions: number): Promise<string[]> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await createTopicsAndWait(admin, topics, partitions);
  } finally {
    await admin.disconnect();
  }
};
