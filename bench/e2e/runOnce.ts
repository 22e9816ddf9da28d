import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Partitioners, type Admin, type IHeaders, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { MongoClient } from 'mongodb';
import { encodeWork, expectedCollections, type Expectations } from '../common/oracle.js';
import { cpuSecondsOf, listeningPorts, watchMemory } from '../common/proc.js';
import type { Workload, WorkloadOptions } from '../common/workload.js';
import { isCasestream, runNames, spawnContender, type ContenderName, type RunNames } from './contenders.js';
import { RunTracker, type InboundKind } from './tracker.js';

export type Mode = 'saturation' | 'paced';

export interface BenchContext {
  readonly workload: Workload;
  readonly expect: Expectations;
  readonly partitions: number;
  /** A new Kafka client per run: kafkajs keeps asking for the metadata of every topic a client ever used, and fails once one is deleted. */
  readonly newKafka: () => Kafka;
  readonly mongo: MongoClient;
  readonly redis: Redis;
  readonly stubUrl: string;
  readonly logDir: string;
  readonly timeoutMs: number;
  readonly verify: boolean;
  readonly cpuProf: boolean;
  readonly casestreamEnv: Readonly<Record<string, string>>;
  /** The built checkout the `casestream-previous` contender runs (`--previous DIR`). */
  readonly previousDir?: string;
  /** The workload's options, for a limit that writes casestream's own documents (`--limit-documents real`). */
  readonly limitWorkload?: WorkloadOptions;
  /** Every child started, so that the bench can kill them if it is interrupted. */
  readonly children: Set<ChildProcess>;
  /** True once the bench is interrupted: the run stops where it is and cleans up. */
  readonly aborted: () => boolean;
  readonly log: (line: string) => void;
}

export interface RunSpec {
  readonly contender: ContenderName;
  readonly mode: Mode;
  readonly round: number;
  /** Paced runs: messages per second offered (client messages are paced; commands follow notifications). */
  readonly rate?: number;
}

export interface Verification {
  readonly ok: boolean;
  readonly expected: Readonly<Record<string, number>>;
  readonly actual: Readonly<Record<string, number>>;
  readonly deadLetters: number;
  readonly tookMs: number;
}

export interface RunResult {
  readonly contender: ContenderName;
  readonly mode: Mode;
  readonly round: number;
  readonly id: string;
  readonly ok: boolean;
  readonly error: string | null;
  readonly timedOut: boolean;
  readonly messages: number;
  readonly completed: number;
  readonly targetRate: number | null;
  /** Messages per second: saturation from the contender joining its group to done; paced from the first produce to done. */
  readonly throughput: number | null;
  readonly startupMs: number | null;
  readonly durationMs: number | null;
  readonly latencyMs: ReturnType<RunTracker['latencies']> | null;
  readonly peakRssMb: number | null;
  /** CPU seconds the contender's process used while processing (from joining its group to done). */
  readonly cpuSeconds: number | null;
  readonly notifications: { readonly expected: number; readonly seen: number; readonly duplicates: number; readonly unknown: number };
  /** CPU seconds of the stack's FerretDB and Kafka over the same interval (shared with anything else using the stack). */
  readonly stackCpuSeconds: Readonly<Record<string, number>> | null;
  readonly verification: Verification | null;
  /** Set when a stack server was restarted during the run (its numbers are then not comparable). */
  readonly stackRestarted: string | null;
  /** casestream only: its own Prometheus metrics at the end of the run (histogram sums and counts, counters). */
  readonly serviceMetrics: Readonly<Record<string, number>> | null;
  readonly logFile: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const header = (headers: IHeaders | undefined, name: string): string | undefined => {
  const v = headers?.[name];
  return (Array.isArray(v) ? v[0] : v)?.toString();
};

const stackPid = (service: string): number | null => {
  const file = join(
    process.env.CASESTREAM_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'casestream'),
    'run',
    'pids',
    `${service}.pid`,
  );
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
};

/** The pids of the stack's servers: a change during a run means one was restarted (e.g. by fault tests sharing the stack). */
const stackPids = (): string => ['kafka', 'mongo', 'redis'].map((s) => `${s}:${stackPid(s) ?? '-'}`).join(' ');

const stackCpu = (): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const service of ['mongo', 'kafka']) {
    const pid = stackPid(service);
    const cpu = pid === null ? null : cpuSecondsOf(pid);
    if (cpu !== null) out[service === 'mongo' ? 'ferretdb' : service] = cpu;
  }
  return out;
};

/**
 * casestream's own view at the end of a run, from its /metrics (found through the port its process
 * listens on, HTTP_PORT being 0): time spent per stage, rule cache and Configuration Service use.
 */
const scrapeMetrics = async (pid: number): Promise<Record<string, number> | null> => {
  for (const port of listeningPorts(pid)) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) });
      if (!response.ok) continue;
      const out: Record<string, number> = {};
      for (const line of (await response.text()).split('\n')) {
        const m = /^(casestream_[a-z_]+(?:_sum|_count|_total)|casestream_notifications_outbox_pending)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(
          line,
        );
        if (!m || m[1]!.includes('_bucket')) continue;
        // summed over labels (topic, partition)
        out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[3]);
      }
      return out;
    } catch {
      // not the HTTP port, or it did not answer
    }
  }
  return null;
};

/** The Kafka messages of a workload, built once and reused by every run (kafkajs does not change them). */
export const kafkaMessages = (workload: Workload, expect: Expectations): Message[] =>
  workload.messages.map((m) => ({
    key: m.key,
    value: m.value,
    partition: m.partition,
    headers: { 'message-id': m.messageId, 'x-bench-work': encodeWork(expect.perMessage[m.index]!), 'x-bench-case': m.caseMessageId },
  }));

/**
 * Produces to one topic, one send at a time (so a partition's offsets arrive in order), gathering
 * whatever was queued meanwhile into the next send.
 */
class TopicSender {
  private queue: { index: number; dueAt: number }[] = [];
  private running: Promise<void> | null = null;
  error: unknown = null;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly kind: InboundKind,
    private readonly messages: readonly Message[],
    private readonly tracker: RunTracker,
    private readonly maxBatch = 500,
  ) {}

  enqueue(indexes: readonly number[], dueAt: (index: number) => number): void {
    for (const index of indexes) this.queue.push({ index, dueAt: dueAt(index) });
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        const results = await this.producer.send({ topic: this.topic, acks: -1, messages: batch.map((b) => this.messages[b.index]!) });
        const due = new Map(batch.map((b) => [b.index, b.dueAt]));
        this.tracker.produced(
          this.kind,
          batch.map((b) => b.index),
          results,
          (i) => due.get(i)!,
        );
      }
    } catch (error) {
      this.error = error;
    } finally {
      this.running = null;
    }
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

const cleanUp = async (ctx: BenchContext, admin: Admin, names: RunNames, contender: ContenderName): Promise<void> => {
  const steps: Promise<unknown>[] = [
    ctx.mongo.db(names.dbName).dropDatabase(),
    admin.deleteTopics({ topics: [names.clientTopic, names.commandTopic, names.deadLetterTopic, names.notificationTopic] }),
    // fails (harmlessly) for a group that still has a member, e.g. a contender that had to be killed
    admin.deleteGroups([names.groupId, names.watcherGroupId]).catch(() => undefined),
  ];
  if (isCasestream(contender)) steps.push(clearRuleCache(ctx.redis));
  const results = await Promise.allSettled(steps);
  for (const r of results) if (r.status === 'rejected') ctx.log(`  cleanup of ${names.id}: ${String(r.reason)}`);
};

/** Removes the rules casestream cached in the bench's Redis database, so that every casestream run starts cold. */
export const clearRuleCache = async (redis: Redis): Promise<void> => {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'casestream:rule:*', 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
};

const verify = async (ctx: BenchContext, admin: Admin, names: RunNames): Promise<Verification> => {
  const t0 = Date.now();
  const expected = expectedCollections(ctx.expect.totals);
  const db = ctx.mongo.db(names.dbName);
  const actual: Record<string, number> = {};
  for (const name of Object.keys(expected)) actual[name] = await db.collection(name).countDocuments();
  const offsets = await admin.fetchTopicOffsets(names.deadLetterTopic);
  const deadLetters = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const ok = deadLetters === ctx.expect.totals.dead_letters && Object.entries(expected).every(([k, v]) => actual[k] === v);
  return { ok, expected, actual, deadLetters, tookMs: Date.now() - t0 };
};

/**
 * One contender, one mode, on topics, a consumer group and a database of its own:
 *
 * - saturation: every client message is produced BEFORE the contender starts; the clock starts
 *   when the contender has joined its consumer group (so its startup is not counted);
 * - paced: the contender starts on empty topics; once it has joined, client messages are produced
 *   on a schedule at `rate` (open loop: latency counts from each message's slot in the schedule).
 *
 * In both, the follow-up commands of a case are produced the moment its notification is seen
 * (a case must exist before it can be acted on). Done = every message produced, every expected
 * notification seen on the contender's notification topic, and the contender's committed offsets
 * at the end of both inbound topics (each contender commits a message only after all its writes).
 */
export const runOnce = async (ctx: BenchContext, spec: RunSpec): Promise<RunResult> => {
  const { workload, expect } = ctx;
  const n = workload.messages.length;
  const id = `bench_${spec.contender.slice(0, 4)}_${spec.mode.slice(0, 3)}_r${spec.round}_${randomBytes(3).toString('hex')}`;
  const names = runNames(id);
  const logFile = join(ctx.logDir, `${id}.log`);
  const label = `[r${spec.round} ${spec.contender} ${spec.mode}${spec.rate ? ` @${spec.rate.toFixed(1)}/s` : ''}]`;
  const tracker = new RunTracker(workload, expect, ctx.partitions);
  const messages = kafkaMessages(workload, expect);
  const kafka = ctx.newKafka();
  const admin = kafka.admin();
  // idempotent: a send kafkajs retries after a partial failure (a topic just created) must not write a message twice
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const clients = new TopicSender(producer, names.clientTopic, 'client', messages, tracker);
  const commands = new TopicSender(producer, names.commandTopic, 'command', messages, tracker);
  const clientIndexes = workload.messages.filter((m) => m.kind === 'client').map((m) => m.index);

  let child: ChildProcess | undefined;
  let childExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let exited: Promise<unknown> = Promise.resolve();
  const watcher = kafka.consumer({ groupId: names.watcherGroupId, maxWaitTimeInMs: 100 });
  let tDone: number | null = null;
  const markDone = (at: number) => {
    if (tDone === null && tracker.done) tDone = at;
  };
  let error: string | null = null;
  let timedOut = false;
  let tSpawn = NaN;
  let tReady = NaN;
  let tStart = NaN;
  let peakRssMb: number | null = null;
  let cpuSeconds: number | null = null;
  let stackCpuSeconds: Record<string, number> | null = null;
  let verification: Verification | null = null;
  let serviceMetrics: Record<string, number> | null = null;
  const pidsAtStart = stackPids();
  const restarted = (): string | null => {
    const now = stackPids();
    return now === pidsAtStart ? null : `${pidsAtStart} -> ${now}`;
  };

  try {
    if (isCasestream(spec.contender)) await clearRuleCache(ctx.redis);
    await admin.connect();
    await producer.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [names.clientTopic, names.commandTopic, names.deadLetterTopic, names.notificationTopic].map((topic) => ({
        topic,
        numPartitions: ctx.partitions,
        replicationFactor: -1,
      })),
    });

    // The watcher joins before anything happens, so that it sees every notification.
    await watcher.connect();
    const joined = new Promise<void>((resolve) => watcher.on(watcher.events.GROUP_JOIN, () => resolve()));
    await watcher.subscribe({ topics: [names.notificationTopic], fromBeginning: true });
    await watcher.run({
      eachBatch: async ({ batch }) => {
        const at = Date.now();
        for (const m of batch.messages) {
          const eventId = header(m.headers, 'event-id');
          const messageId = header(m.headers, 'message-id');
          const followUps = tracker.notified({ ...(eventId ? { eventId } : {}), ...(messageId ? { messageId } : {}) }, at);
          if (followUps.length > 0) commands.enqueue(followUps, () => at);
        }
        markDone(at);
      },
    });
    await Promise.race([
      joined,
      sleep(30_000).then(() => Promise.reject(new Error('the notification watcher did not join its group within 30 s'))),
    ]);

    if (spec.mode === 'saturation') {
      const t = Date.now();
      clients.enqueue(clientIndexes, () => t);
      await clients.idle();
      if (clients.error) throw clients.error;
      ctx.log(`${label} pre-produced ${clientIndexes.length} client messages in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }

    if (ctx.aborted()) throw new Error('interrupted');
    tSpawn = Date.now();
    child = spawnContender(spec.contender, {
      names,
      partitions: ctx.partitions,
      configServiceUrl: ctx.stubUrl,
      logFile,
      ...(ctx.cpuProf ? { cpuProfDir: ctx.logDir } : {}),
      casestreamEnv: ctx.casestreamEnv,
      ...(ctx.previousDir ? { previousDir: ctx.previousDir } : {}),
      ...(ctx.limitWorkload ? { limitWorkload: ctx.limitWorkload } : {}),
    });
    ctx.children.add(child);
    const started = child;
    exited = new Promise<void>((resolve) =>
      started.once('exit', (code, signal) => {
        childExit = { code, signal };
        ctx.children.delete(started);
        resolve();
      }),
    );
    const pid = child.pid!;
    const memory = watchMemory(pid);

    // Ready = the contender's consumer group is Stable with a member: from then on it fetches.
    while (Number.isNaN(tReady)) {
      if (ctx.aborted()) throw new Error('interrupted');
      if (childExit) throw new Error(`the contender exited before joining its group (${JSON.stringify(childExit)}); see ${logFile}`);
      if (Date.now() - tSpawn > 120_000) throw new Error(`the contender did not join its group within 120 s; see ${logFile}`);
      const { groups } = await admin.describeGroups([names.groupId]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) tReady = Date.now();
      else await sleep(25);
    }
    const cpuAtReady = cpuSecondsOf(pid);
    const stackAtReady = stackCpu();
    ctx.log(`${label} ${id}: joined its group ${((tReady - tSpawn) / 1000).toFixed(1)} s after start`);

    // Paced: client messages on a schedule.
    let pacing: Promise<void> = Promise.resolve();
    if (spec.mode === 'paced') {
      const clientRate = ((spec.rate ?? 1) * workload.clients) / n;
      tStart = Date.now();
      const slot = (k: number) => tStart + (k * 1000) / clientRate;
      pacing = (async () => {
        let sent = 0;
        while (sent < clientIndexes.length && !childExit && tDone === null && !timedOut) {
          const due = Math.min(clientIndexes.length, Math.floor(((Date.now() - tStart) / 1000) * clientRate) + 1);
          if (due > sent) {
            clients.enqueue(clientIndexes.slice(sent, due), (i) => slot(i));
            sent = due;
          }
          await sleep(5);
        }
      })();
    } else {
      tStart = tReady;
    }

    // Watch the contender's committed offsets until done.
    const deadline = tReady + ctx.timeoutMs;
    let lastReport = Date.now();
    while (tDone === null) {
      if (ctx.aborted()) throw new Error('interrupted');
      if (childExit) throw new Error(`the contender exited while working (${JSON.stringify(childExit)}); see ${logFile}`);
      if (clients.error ?? commands.error) throw clients.error ?? commands.error;
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      const offsets = await admin.fetchOffsets({ groupId: names.groupId, topics: [names.clientTopic, names.commandTopic] });
      const at = Date.now();
      for (const t of offsets) {
        const kind: InboundKind = t.topic === names.clientTopic ? 'client' : 'command';
        for (const p of t.partitions) {
          const offset = Number(p.offset);
          if (offset >= 0) tracker.committed(kind, p.partition, offset, at);
        }
      }
      markDone(at);
      if (at - lastReport >= 5000) {
        lastReport = at;
        ctx.log(
          `${label} ${((at - tStart) / 1000).toFixed(0)} s: ${tracker.completed}/${n} done, ` +
            `${tracker.notificationsSeen}/${expect.expectedNotifications} notifications, ${tracker.producedCommands}/${workload.commands} commands sent`,
        );
      }
      if (tDone === null) await sleep(50);
    }
    const tEnd = tDone ?? Date.now();
    peakRssMb = memory.peak();
    memory.stop();
    const cpuEnd = cpuSecondsOf(pid);
    cpuSeconds = cpuEnd !== null && cpuAtReady !== null ? cpuEnd - cpuAtReady : null;
    const stackEnd = stackCpu();
    stackCpuSeconds = Object.fromEntries(Object.entries(stackEnd).map(([k, v]) => [k, Number((v - (stackAtReady[k] ?? v)).toFixed(2))]));
    await pacing;
    await clients.idle();
    await commands.idle();
    if (isCasestream(spec.contender)) serviceMetrics = await scrapeMetrics(pid);

    // Stop the contender as an operator would (SIGTERM), then make sure it is gone.
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
    if (!stopped) {
      ctx.log(`${label} did not stop within 30 s of SIGTERM: killing it`);
      child.kill('SIGKILL');
      await exited;
    }
    await watcher.disconnect();
    if (ctx.verify && !timedOut) verification = await verify(ctx, admin, names);

    const completed = tracker.completed;
    const durationMs = tEnd - tStart;
    const latency = tracker.latencies((i) =>
      spec.mode === 'saturation' ? Math.max(tracker.producedAt[i]!, tReady) : tracker.producedAt[i]!,
    );
    const result: RunResult = {
      contender: spec.contender,
      mode: spec.mode,
      round: spec.round,
      id,
      ok: !timedOut && (verification?.ok ?? true),
      error: timedOut
        ? `timed out after ${ctx.timeoutMs / 1000} s with ${completed}/${n} messages done`
        : verification && !verification.ok
          ? 'verification failed'
          : null,
      timedOut,
      messages: n,
      completed,
      targetRate: spec.rate ?? null,
      throughput: durationMs > 0 ? (completed * 1000) / durationMs : null,
      startupMs: tReady - tSpawn,
      durationMs,
      latencyMs: latency,
      peakRssMb,
      cpuSeconds,
      notifications: {
        expected: expect.expectedNotifications,
        seen: tracker.notificationsSeen,
        duplicates: tracker.duplicateNotifications,
        unknown: tracker.unknownNotifications,
      },
      stackCpuSeconds,
      verification,
      stackRestarted: restarted(),
      serviceMetrics,
      logFile,
    };
    if (result.stackRestarted) ctx.log(`${label} a stack server was restarted during the run (${result.stackRestarted}): not comparable`);
    return result;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    ctx.log(`${label} FAILED: ${error}`);
    return {
      contender: spec.contender,
      mode: spec.mode,
      round: spec.round,
      id,
      ok: false,
      error,
      timedOut,
      messages: n,
      completed: tracker.completed,
      targetRate: spec.rate ?? null,
      throughput: null,
      startupMs: Number.isNaN(tReady) ? null : tReady - tSpawn,
      durationMs: null,
      latencyMs: null,
      peakRssMb,
      cpuSeconds,
      notifications: {
        expected: expect.expectedNotifications,
        seen: tracker.notificationsSeen,
        duplicates: tracker.duplicateNotifications,
        unknown: tracker.unknownNotifications,
      },
      stackCpuSeconds,
      verification,
      stackRestarted: restarted(),
      serviceMetrics,
      logFile,
    };
  } finally {
    if (child && !childExit) {
      child.kill('SIGKILL');
      await exited;
    }
    await watcher.disconnect().catch(() => undefined);
    await clients.idle();
    await commands.idle();
    await cleanUp(ctx, admin, names, spec.contender);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
};
