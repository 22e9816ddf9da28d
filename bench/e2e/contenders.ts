import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildConfig } from '../common/childConfig.js';
import type { WorkloadOptions } from '../common/workload.js';
import { benchScript, REPO_ROOT, STACK } from '../common/paths.js';

export const CONTENDERS = ['casestream', 'casestream-traced', 'casestream-previous', 'baseline', 'limit'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/**
 * The contenders that are casestream itself: without tracing (no OTLP endpoint), with it, and
 * another build of it (`--previous DIR`: a checkout of an earlier commit, built with `npm run build`).
 */
export const isCasestream = (name: ContenderName): boolean =>
  name === 'casestream' || name === 'casestream-traced' || name === 'casestream-previous';

/**
 * What turns tracing on for `casestream-traced`: every message's spans exported over OTLP/HTTP to
 * the local stack's Jaeger (on loopback), at the default sampler (parentbased_always_on).
 */
export const TRACING_ENV: Readonly<Record<string, string>> = {
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
  OTEL_SERVICE_NAME: 'casestream-bench',
};

/** The topics, consumer group and database of one run: fresh for every contender and mode. */
export interface RunNames {
  readonly id: string;
  readonly clientTopic: string;
  readonly commandTopic: string;
  readonly deadLetterTopic: string;
  readonly notificationTopic: string;
  readonly groupId: string;
  readonly watcherGroupId: string;
  readonly dbName: string;
}

export const runNames = (id: string): RunNames => ({
  id,
  clientTopic: `${id}.kyc_events`,
  commandTopic: `${id}.case_commands`,
  deadLetterTopic: `${id}.kyc_events.dlq`,
  notificationTopic: `${id}.notification_events`,
  groupId: `${id}.group`,
  watcherGroupId: `${id}.watcher`,
  dbName: id,
});

export interface SpawnOptions {
  readonly names: RunNames;
  readonly partitions: number;
  readonly configServiceUrl: string;
  readonly logFile: string;
  /** Write a V8 CPU profile of the child into this directory (node --cpu-prof), named after its consumer group. */
  readonly cpuProfDir?: string;
  /** The checkout whose `dist/main.js` the `casestream-previous` contender runs. */
  readonly previousDir?: string;
  /** Extra casestream settings (`--env KEY=VALUE`). */
  readonly casestreamEnv?: Readonly<Record<string, string>>;
  /** The limit writes casestream's documents for the workload made with these options (filler documents without). */
  readonly limitWorkload?: WorkloadOptions;
}

/** The environment every child gets: just enough to run node, nothing from the caller's shell settings. */
const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
};

/**
 * Starts a contender as its own process, its output into `logFile`. casestream is started as
 * users start it (`node dist/main.js`, settings from the environment; `casestream-traced` with
 * TRACING_ENV besides); the baseline and the limit are the compiled bench scripts, so that their
 * memory is measured the same way.
 */
export const spawnContender = (name: ContenderName, options: SpawnOptions): ChildProcess => {
  const { names } = options;
  // Named by the run, so that each contender's profile can be told apart in the log directory.
  const profiling = options.cpuProfDir
    ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir, '--cpu-prof-name', `${names.groupId}.cpuprofile`]
    : [];
  let args: string[];
  let env: Record<string, string>;
  if (isCasestream(name)) {
    const root = name === 'casestream-previous' ? options.previousDir : REPO_ROOT;
    if (root === undefined) throw new Error('the casestream-previous contender needs --previous DIR (a built checkout)');
    args = [...profiling, join(root, 'dist', 'main.js')];
    env = {
      ...baseEnv(),
      KAFKA_BOOTSTRAP_SERVERS: STACK.brokers.join(','),
      KAFKA_CLIENT_ID: `bench-casestream`,
      KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
      KAFKA_TOPIC_NAME: names.clientTopic,
      KAFKA_COMMAND_TOPIC: names.commandTopic,
      KAFKA_DLQ_TOPIC: names.deadLetterTopic,
      NOTIFICATION_KAFKA_TOPIC: names.notificationTopic,
      KAFKA_CONSUMER_GROUP_ID: names.groupId,
      KAFKA_TOPIC_PARTITIONS: String(options.partitions),
      MONGO_DETAILS: STACK.mongoUrl,
      DB_NAME: names.dbName,
      REDIS_URL: STACK.redisUrl,
      CONFIG_SERVICE_URL: options.configServiceUrl,
      LOG_LEVEL: 'warn',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      ...(name === 'casestream-traced' ? TRACING_ENV : {}),
      ...options.casestreamEnv,
    };
  } else {
    const config: ChildConfig = {
      brokers: STACK.brokers,
      clientId: `bench-${name}`,
      clientTopic: names.clientTopic,
      commandTopic: names.commandTopic,
      deadLetterTopic: names.deadLetterTopic,
      notificationTopic: names.notificationTopic,
      groupId: names.groupId,
      mongoUrl: STACK.mongoUrl,
      dbName: names.dbName,
      configServiceUrl: options.configServiceUrl,
      ...(name === 'limit' && options.limitWorkload ? { workload: options.limitWorkload } : {}),
    };
    args = [...profiling, ...benchScript(`${name}/main.ts`)];
    env = { ...baseEnv(), BENCH_CONFIG: JSON.stringify(config), KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  }
  const fd = openSync(options.logFile, 'a');
  try {
    return spawn(process.execPath, args, {
      cwd: name === 'casestream-previous' ? options.previousDir : REPO_ROOT,
      env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
};
