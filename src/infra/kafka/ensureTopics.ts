import kafkajs, { type Admin, type Kafka } from 'kafkajs';

// Not a named export under Node's ESM loader: kafkajs's CommonJS index spreads its errors into
// module.exports, which ends what the loader can detect before this name.
const { ConfigResourceTypes } = kafkajs;

/** Topic configs by topic name, e.g. `{'kyc_events.dlq': {'retention.ms': '2592000000'}}`. */
export type TopicConfigs = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface TopicWaitOptions {
  /** Configs the topics are created with (topics that exist are left as they are). */
  readonly configs?: TopicConfigs;
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
    topics: missing.map((topic) => {
      const configEntries = Object.entries(options.configs?.[topic] ?? {}).map(([name, value]) => ({ name, value }));
      return { topic, numPartitions: partitions, replicationFactor: -1, ...(configEntries.length > 0 ? { configEntries } : {}) };
    }),
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

/** A config of an existing topic that is not what casestream would have created it with. */
export interface TopicConfigDifference {
  readonly topic: string;
  readonly config: string;
  readonly wanted: string;
  /** As the broker describes it; null when it does not. */
  readonly actual: string | null;
}

/** The configs of `topics` (existing ones) that differ from `configs`, as the broker describes them. */
export const topicConfigDifferences = async (
  admin: Pick<Admin, 'describeConfigs'>,
  topics: readonly string[],
  configs: TopicConfigs,
): Promise<TopicConfigDifference[]> => {
  const checked = topics.filter((t) => Object.keys(configs[t] ?? {}).length > 0);
  if (checked.length === 0) return [];
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: checked.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: Object.keys(configs[name]!) })),
  });
  return resources.flatMap((r) =>
    Object.entries(configs[r.resourceName] ?? {}).flatMap(([config, wanted]) => {
      const actual = r.configEntries.find((e) => e.configName === config)?.configValue ?? null;
      return actual === wanted ? [] : [{ topic: r.resourceName, config, wanted, actual }];
    }),
  );
};

export interface EnsuredTopics {
  readonly created: string[];
  /** Configs of topics that already existed which differ from `configs`: casestream changes no existing topic. */
  readonly differing: TopicConfigDifference[];
  /** Why the existing topics' configs could not be read (e.g. no DescribeConfigs permission): they were not checked. */
  readonly unchecked?: string;
}

/**
 * Creates the topics casestream uses when they are missing (automatic topic creation is off on
 * the broker), with `configs`. Existing topics are left as they are; their configs that differ
 * are reported, for operations to change (kafka-configs.sh --alter) or to accept.
 */
export const ensureTopics = async (
  kafka: Kafka,
  topics: readonly string[],
  partitions: number,
  configs: TopicConfigs = {},
): Promise<EnsuredTopics> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await createTopicsAndWait(admin, topics, partitions, { configs });
    const existing = topics.filter((t) => !created.includes(t));
    try {
      return { created, differing: await topicConfigDifferences(admin, existing, configs) };
    } catch (error) {
      // A check only: the service runs on topics whose configs it may not read.
      return { created, differing: [], unchecked: error instanceof Error ? error.message : String(error) };
    }
  } finally {
    await admin.disconnect();
  }
};
