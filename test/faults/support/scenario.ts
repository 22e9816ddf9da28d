import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import { createTopicsAndWait } from '../../../src/infra/kafka/ensureTopics.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { KAFKA_BROKERS, MONGO_URL, REDIS_URL, REPO_ROOT, sleep } from '../../support/stack.js';
import { badInputs, MIXED_BAD_KINDS, type BadInput } from './badInputs.js';
import { checkInvariants, readSnapshot, type CheckOptions, type CheckResult } from './invariants.js';
import { deleteTopicsQuietly, Driver, faultKafka, TopicReader } from './kafka.js';
import {
  caseTypesFor,
  rulesFor,
  triggerOf,
  validMessage,
  type CaseTypeSpec,
  type DrivenMessage,
  type InvalidMessage,
  type ValidMessage,
} from './messages.js';
import { Prng, scenarioSeed } from './prng.js';
import { resultsDir, writeResult, type FaultRecord } from './results.js';
import { ServiceProcess } from './serviceProcess.js';
import { ensureServerUp, FERRET_POOL_SIZE, ferretConnections, startServer, stopServer } from './stackControl.js';

/**
 * One fault scenario on the real stack: its own topics, consumer group, database and Configuration
 * Service stub; the built service as child processes; a seeded stream of valid and invalid
 * messages; fault bookkeeping; the final invariant check; and a JSON record of what happened.
 */

/** FAULT_MESSAGES: valid messages per scenario (default 2000; CI runs fewer). */
export const faultMessages = (fallback = 2000): number => {
  const raw = process.env.FAULT_MESSAGES;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 50) throw new Error(`FAULT_MESSAGES must be an integer >= 50, got ${JSON.stringify(raw)}`);
  return n;
};

export interface ScenarioConfig {
  /** File-safe name, e.g. `01-sigkill`; also the results file name. */
  readonly name: string;
  readonly title: string;
  readonly valid: number;
  /** Broken messages mixed in (default: 2 % of `valid`, at least 10). */
  readonly invalid?: number;
  readonly partitions?: number;
  /** Extra service settings for every instance of this scenario. */
  readonly env?: Record<string, string>;
  readonly check?: Omit<CheckOptions, 'sourceTopic'>;
}

const BASE_ENV_KEYS = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'] as const;

export class FaultScenario {
  readonly id: string;
  readonly tag: string;
  readonly prng: Prng;
  readonly seed: number;
  readonly types: CaseTypeSpec[];
  readonly messages: DrivenMessage[] = [];
  readonly faults: FaultRecord[] = [];
  readonly timings: Record<string, number> = {};
  readonly observations: Record<string, unknown> = {};
  readonly services: ServiceProcess[] = [];
  readonly topics: { clientData: string; commands: string; dlq: string; notifications: string };
  readonly group: string;
  readonly dbName: string;
  readonly logDir: string;
  stub!: ConfigServiceStub;
  driver!: Driver;
  passed = false;
  /** The message finish() sends after the faults to prove the service still consumes. */
  probe: ValidMessage | undefined;
  failure: string | undefined;
  lastCheck: CheckResult | undefined;
  private kafka!: Kafka;
  private admin!: Admin;
  private mongo!: MongoClient;
  private readers: TopicReader[] = [];
  private notificationReader: TopicReader | undefined;
  private dlqReader: TopicReader | undefined;
  private startedAt: number | undefined;
  private readonly createdAt = Date.now();
  private instanceCounter = 0;

  private constructor(readonly config: ScenarioConfig) {
    const suffix = randomBytes(3).toString('hex');
    this.id = `fault_${config.name.replace(/[^A-Za-z0-9]/g, '_')}_${Date.now().toString(36)}_${suffix}`;
    this.tag = `F${config.name.replace(/[^0-9]/g, '') || 'X'}${suffix}`.toUpperCase();
    this.seed = scenarioSeed(config.name);
    this.prng = new Prng(this.seed);
    this.types = caseTypesFor(this.tag);
    this.topics = {
      clientData: `${this.id}.kyc_events`,
      commands: `${this.id}.case_commands`,
      dlq: `${this.id}.kyc_events.dlq`,
      notifications: `${this.id}.notification_events`,
    };
    this.group = `${this.id}.group`;
    this.dbName = this.id;
    this.logDir = join(resultsDir(), config.name);
    mkdirSync(this.logDir, { recursive: true });
  }

  static async create(config: ScenarioConfig): Promise<FaultScenario> {
    const s = new FaultScenario(config);
    await s.setUp();
    return s;
  }

  private async setUp(): Promise<void> {
    this.stub = await startConfigServiceStub({ port: 0, rules: rulesFor(this.types) });
    this.kafka = faultKafka(`fault-suite-${this.config.name}`);
    this.admin = this.kafka.admin();
    await this.admin.connect();
    // The topics exist before anything is produced (the producer never auto-creates them).
    // usable even right after the previous scenario restarted the broker
    await createTopicsAndWait(this.admin, Object.values(this.topics), this.config.partitions ?? 6);
    this.mongo = await MongoClient.connect(MONGO_URL, { serverSelectionTimeoutMS: 5000, socketTimeoutMS: 90_000 });
    this.driver = new Driver(this.kafka, this.topics.clientData);
    await this.driver.connect();
    this.generate();
  }

  get db(): Db {
    return this.mongo.db(this.dbName);
  }

  get valid(): ValidMessage[] {
    return this.messages.filter((m): m is ValidMessage => m.valid);
  }

  get invalid(): InvalidMessage[] {
    return this.messages.filter((m): m is InvalidMessage => !m.valid);
  }

  /** Seconds since the first service instance started (fault timings are relative to it). */
  since(): number {
    return Math.round((Date.now() - (this.startedAt ?? this.createdAt)) / 100) / 10;
  }

  private generate(): void {
    const r = this.prng.fork();
    const invalidCount = this.config.invalid ?? Math.max(10, Math.round(this.config.valid * 0.02));
    const corpus = new Map(badInputs(this.tag).map((b) => [b.name, b] as const));
    const valid = Array.from({ length: this.config.valid }, (_, i) => validMessage(this.tag, i, r, this.types));
    const invalid = Array.from({ length: invalidCount }, (_, i) =>
      this.invalidMessage(corpus.get(MIXED_BAD_KINDS[i % MIXED_BAD_KINDS.length]!)!, i),
    );
    this.messages.push(...interleave(valid, invalid, r));
  }

  invalidMessage(b: BadInput, i: number): InvalidMessage {
    return {
      valid: false,
      index: i,
      messageId: `${this.tag}-bad-${i}-${b.name}`,
      name: b.name,
      key: this.prng.chance(0.5) ? `bad-${i}` : null,
      value: b.value,
      reason: b.reason,
      paths: b.paths,
    };
  }

  /** Every service setting, as README documents them, for one instance. */
  env(instance: string, extra: Record<string, string> = {}): Record<string, string> {
    const base = Object.fromEntries(BASE_ENV_KEYS.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
    const envFile = join(REPO_ROOT, 'config/local.env');
    return {
      ...base,
      ...(existsSync(envFile) ? { ENV_FILE: envFile } : {}),
      KAFKA_BOOTSTRAP_SERVERS: KAFKA_BROKERS.join(','),
      KAFKA_CLIENT_ID: this.clientId(instance),
      KAFKA_TOPIC_NAME: this.topics.clientData,
      KAFKA_COMMAND_TOPIC: this.topics.commands,
      KAFKA_DLQ_TOPIC: this.topics.dlq,
      NOTIFICATION_KAFKA_TOPIC: this.topics.notifications,
      KAFKA_CONSUMER_GROUP_ID: this.group,
      KAFKA_TOPIC_PARTITIONS: String(this.config.partitions ?? 6),
      MONGO_DETAILS: MONGO_URL,
      DB_NAME: this.dbName,
      REDIS_URL,
      CONFIG_SERVICE_URL: this.stub.url,
      DEFAULT_HTTP_TIMEOUT: '2',
      LOG_LEVEL: 'warn',
      OUTBOX_RELAY_INTERVAL_MS: '1000',
      OUTBOX_GRACE_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      RETRY_INITIAL_MS: '200',
      RETRY_MAX_MS: '2000',
      // every instance gets a free port of its own for the HTTP API, on loopback only
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      ...this.config.env,
      ...serviceEnvOverrides(),
      ...extra,
    };
  }

  /** The Kafka client id of instance `instance`'s `start`-th process (unique, so a dead member is never mistaken for its successor). */
  clientId(instance: string, start = 0): string {
    return `casestream-${this.id}-${instance}-${start}`;
  }

  private readonly clientIds = new Map<ServiceProcess, string>();
  private readonly latest = new Map<string, ServiceProcess>();

  /** Starts `node dist/main.js` for one instance (its output goes to a log file of its own). */
  startService(instance = 'a', extra: Record<string, string> = {}): ServiceProcess {
    this.instanceCounter += 1;
    const logFile = join(this.logDir, `${String(this.instanceCounter).padStart(2, '0')}-${instance}.log`);
    const clientId = this.clientId(instance, this.instanceCounter);
    const p = ServiceProcess.start(`${this.config.name}/${instance}`, logFile, this.env(instance, { KAFKA_CLIENT_ID: clientId, ...extra }));
    this.clientIds.set(p, clientId);
    this.latest.set(instance, p);
    this.startedAt ??= p.startedAt;
    this.services.push(p);
    return p;
  }

  /** Waits until the instance is a member of a stable consumer group (so it is consuming). */
  async waitJoined(p: ServiceProcess, timeoutMs = 120_000): Promise<number> {
    const t0 = Date.now();
    const clientId = this.clientIds.get(p)!;
    for (;;) {
      this.assertAlive([p]);
      const joined = await this.admin
        .describeGroups([this.group])
        .then((d) => d.groups.some((g) => g.state === 'Stable' && g.members.some((m) => m.clientId === clientId)))
        .catch(() => false);
      if (joined) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`${p.name} (pid ${p.pid}) did not join ${this.group} within ${timeoutMs} ms; log: ${p.logFile}`);
      await sleep(500);
    }
  }

  /** Waits until the group is stable with exactly `count` members (e.g. after a member died). */
  async waitGroupMembers(count: number, timeoutMs = 180_000): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      this.assertAlive();
      const ok = await this.admin
        .describeGroups([this.group])
        .then((d) => d.groups.some((g) => g.state === 'Stable' && g.members.length === count))
        .catch(() => false);
      if (ok) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${this.group} did not become stable with ${count} members within ${timeoutMs} ms`);
      await sleep(500);
    }
  }

  /**
   * The client-data partitions assigned to one instance and how many of their messages are not yet
   * committed by the group (its unfinished work), from the group description and committed offsets.
   */
  async memberBacklog(instance: string): Promise<{ partitions: number[]; uncommitted: number }> {
    const clientId = this.clientIds.get(this.latest.get(instance)!)!;
    const groups = await this.admin.describeGroups([this.group]);
    const member = groups.groups[0]?.members.find((m) => m.clientId === clientId);
    if (!member || member.memberAssignment.length === 0) return { partitions: [], uncommitted: 0 };
    const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    const partitions = assignment?.assignment[this.topics.clientData] ?? [];
    const [committed, ends] = await Promise.all([
      this.admin.fetchOffsets({ groupId: this.group, topics: [this.topics.clientData] }),
      this.admin.fetchTopicOffsets(this.topics.clientData),
    ]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    const uncommitted = partitions.reduce(
      (sum, p) => sum + Math.max(0, Number(ends.find((e) => e.partition === p)?.high ?? 0) - (done.get(p) ?? 0)),
      0,
    );
    return { partitions, uncommitted };
  }

  /** Fails at once when a service instance exited without the test asking it to. */
  assertAlive(processes: readonly ServiceProcess[] = this.services.filter((s) => !s.intended)): void {
    for (const p of processes) {
      if (!p.alive && !p.intended) {
        throw new Error(
          `service ${p.name} (pid ${p.pid}) exited on its own: code ${p.exit?.code} signal ${p.exit?.signal}; last log lines:\n${tail(p.logFile, 15)}`,
        );
      }
    }
  }

  async produce(messages: readonly DrivenMessage[] = this.messages): Promise<void> {
    const t0 = Date.now();
    await this.driver.send(messages.map((m) => ({ key: m.key, value: m.value, messageId: m.messageId })));
    this.timings.produce_s = round((this.timings.produce_s ?? 0) + (Date.now() - t0) / 1000);
  }

  /** Cases so far; bounded in time (a wedged database answers nothing, not even maxTimeMS). */
  async casesCount(): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.db.collection('cases').countDocuments({}, { maxTimeMS: 20_000 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('counting cases took longer than 30 s')), 30_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * After an outage: when cases are still missing, waits for the next one and records how long
   * the service took to make progress again (`first_progress_after_outage_s`).
   */
  async waitFirstProgress(): Promise<void> {
    const tBack = Date.now();
    const progressed = await this.casesCount();
    if (progressed >= this.valid.length) return;
    await this.waitForCases(progressed + 1);
    this.timings.first_progress_after_outage_s = round((Date.now() - tBack) / 1000);
  }

  /**
   * Waits until at least `target` cases exist, polling; fails early when a service crashed, and
   * when nothing moved for `stallMs`.
   */
  async waitForCases(
    target: number,
    { timeoutMs = 600_000, stallMs = Number(process.env.FAULT_STALL_MS ?? 150_000), pollMs = 1000 } = {},
  ): Promise<number> {
    const t0 = Date.now();
    let last = -1;
    let lastMove = Date.now();
    for (;;) {
      this.assertAlive();
      const n = await this.casesCount().catch(() => last);
      if (n >= target) return n;
      if (n !== last) {
        last = n;
        lastMove = Date.now();
      }
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`only ${n} of ${target} cases after ${timeoutMs} ms${this.ferretNote()}${this.retriedErrors()}`);
      // a wedged FerretDB database never recovers by itself: no need to wait for the whole stall time
      if (Date.now() - lastMove > 75_000 && (ferretConnections(this.dbName) ?? 0) >= FERRET_POOL_SIZE) {
        throw new Error(
          `no progress for ${Math.round((Date.now() - lastMove) / 1000)} s: stuck at ${n} of ${target} cases${this.ferretNote()}${this.retriedErrors()}`,
        );
      }
      if (Date.now() - lastMove > stallMs)
        throw new Error(`no progress for ${stallMs} ms: stuck at ${n} of ${target} cases${this.ferretNote()}${this.retriedErrors()}`);
      await sleep(pollMs);
    }
  }

  /** The errors the services keep retrying, most frequent first (evidence for a stall). */
  retriedErrors(): string {
    const counts = new Map<string, number>();
    for (const p of this.services) {
      if (!existsSync(p.logFile)) continue;
      for (const line of readFileSync(p.logFile, 'utf8').split('\n')) {
        if (!line.includes('infrastructure failure, retrying')) continue;
        try {
          const error = String((JSON.parse(line) as { error?: unknown }).error).slice(0, 160);
          counts.set(error, (counts.get(error) ?? 0) + 1);
        } catch {
          // not a JSON line
        }
      }
    }
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3);
    return top.length === 0 ? '' : `; the service keeps retrying: ${top.map(([e, n]) => `${n}× "${e}"`).join(', ')}`;
  }

  /** Evidence for a stall: how many SQLite connections FerretDB holds on this scenario's database. */
  ferretNote(): string {
    const n = ferretConnections(this.dbName);
    if (n === undefined) return '';
    this.observations.ferret_sqlite_connections_at_stall = n;
    return n >= FERRET_POOL_SIZE
      ? `; FerretDB holds ${n} SQLite connections on ${this.dbName} (its pool maximum): the database is wedged`
      : `; FerretDB holds ${n} SQLite connections on ${this.dbName}`;
  }

  /** Runs a fault and records when it happened and how long it lasted. */
  async fault<T>(fault: string, detail: string, run: () => Promise<T>): Promise<T> {
    const at = this.since();
    const t0 = Date.now();
    const result = await run();
    this.faults.push({ fault, at_s: at, duration_s: round((Date.now() - t0) / 1000), detail });
    return result;
  }

  recordFault(fault: string, detail: string, duration_s?: number): void {
    this.faults.push({ fault, at_s: this.since(), ...(duration_s === undefined ? {} : { duration_s }), detail });
  }

  /**
   * After the faults: waits for every valid message to become a case, proves the service still
   * consumes (one more message must become a case and notify), then checks the invariants until
   * they hold or `settleMs` has passed (notifications relayed late, dead letters still arriving).
   */
  async finish({
    casesTimeoutMs = Math.max(600_000, this.messages.length * 3000),
    settleMs = 120_000,
    alive,
    beforeProbe,
  }: {
    casesTimeoutMs?: number;
    settleMs?: number;
    alive?: ServiceProcess[];
    beforeProbe?: () => Promise<void>;
  } = {}): Promise<CheckResult> {
    const t0 = Date.now();
    try {
      await this.waitForCases(this.valid.length, { timeoutMs: casesTimeoutMs });
      this.timings.all_cases_s = this.since();

      await beforeProbe?.();
      // still consuming: one more valid message, with an active rule, must become a case
      const probeType = this.types.find((t) => t.notifies && t.kind === 'KYC')!;
      const probe = validMessage(this.tag, 1_000_000, new Prng(this.seed), [probeType]);
      this.messages.push(probe);
      this.probe = probe;
      const tProbe = Date.now();
      await this.produce([probe]);
      await this.waitForCases(this.valid.length, { timeoutMs: 120_000, stallMs: 120_000 }).catch((e: unknown) => {
        throw new Error(
          `not consuming any more: the probe message ${probe.messageId}, sent after the fault, did not become a case (${String(e)})`,
        );
      });
      this.timings.probe_case_s = round((Date.now() - tProbe) / 1000);
      if (alive) this.assertAlive(alive);

      const deadline = Date.now() + settleMs;
      let rounds = 0;
      for (;;) {
        rounds += 1;
        await this.checkNow();
        if (rounds === 1 && this.lastCheck!.violations.length > 0) this.observations.first_check_violations = this.lastCheck!.violations;
        if (this.lastCheck!.violations.length === 0 || Date.now() > deadline) break;
        await sleep(5000);
      }
      this.timings.check_rounds = rounds;
      this.timings.finish_s = round((Date.now() - t0) / 1000);
      if (alive) this.assertAlive(alive);
      return this.lastCheck!;
    } catch (error) {
      // keep what can be counted as evidence of the failure
      await this.checkNow(30_000).catch((e: unknown) => (this.observations.check_after_failure_error = String(e)));
      this.observations.checked_after_failure = true;
      throw error;
    }
  }

  /** Reads the topics up to their ends and MongoDB once, and checks the invariants (the scenario's check options, then `options`). */
  async checkNow(catchUpMs = 60_000, options: Partial<CheckOptions> = {}): Promise<CheckResult> {
    this.notificationReader ??= await this.reader(this.topics.notifications);
    this.dlqReader ??= await this.reader(this.topics.dlq);
    await Promise.all([this.notificationReader.waitCaughtUp(catchUpMs), this.dlqReader.waitCaughtUp(catchUpMs)]);
    const snap = await readSnapshot(this.db, this.notificationReader.messages, this.dlqReader.messages);
    this.timings.last_snapshot_read_ms = snap.readMs;
    this.lastCheck = checkInvariants(this.messages, snap, { sourceTopic: this.topics.clientData, ...this.config.check, ...options });
    return this.lastCheck;
  }

  private async reader(topic: string): Promise<TopicReader> {
    const r = await new TopicReader(
      this.kafka,
      this.admin,
      topic,
      `${this.id}.reader.${topic.split('.').pop()}.${randomBytes(2).toString('hex')}`,
    ).start();
    this.readers.push(r);
    return r;
  }

  /** Runs the built CLI (`node dist/cli/main.js ...args`) with the scenario's settings, as an operator would. */
  async runCli(args: readonly string[], timeoutMs = 1_800_000): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'dist', 'cli', 'main.js'), ...args],
        { env: this.env('cli'), timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') reject(error);
          else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
        },
      );
    });
  }

  /** Graceful stop of every live instance (SIGTERM; SIGKILL after the shutdown timeout plus a margin). */
  async stopAll(): Promise<void> {
    const stops = await Promise.all(this.services.filter((p) => p.alive).map(async (p) => ({ name: p.name, ...(await p.stop(25_000)) })));
    this.observations.graceful_stop = stops.map((s) => ({
      instance: s.name,
      code: s.exit.code,
      signal: s.exit.signal,
      forced_sigkill: s.forced,
      took_ms: s.tookMs,
    }));
  }

  /** Counts the services' log lines by level and message (evidence for the report). */
  logSummary(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const p of this.services) {
      if (!existsSync(p.logFile)) continue;
      for (const line of readFileSync(p.logFile, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let key: string;
        try {
          const j = JSON.parse(line) as { level?: string; msg?: string };
          key = `${j.level ?? '?'}: ${j.msg ?? ''}`;
        } catch {
          key = `raw: ${line.slice(0, 120)}`;
        }
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
  }

  /** Kills what is left, leaves the stack up, records the result, and (when passed, unless FAULT_KEEP=1) drops the scenario's data. */
  async tearDown(): Promise<string> {
    for (const p of this.services) if (p.alive) await p.kill();
    await this.driver?.disconnect();
    await this.stub?.close().catch(() => undefined);
    // leave the stack up, and never leave a wedged FerretDB database behind (dropping one hangs)
    for (const server of ['kafka', 'mongo', 'redis'] as const) {
      if (await ensureServerUp(server).catch(() => false)) this.observations[`restarted_${server}_in_teardown`] = true;
    }
    const connections = ferretConnections(this.dbName);
    if (connections !== undefined && connections >= FERRET_POOL_SIZE) {
      this.observations.ferret_restarted_to_unwedge = `${connections} SQLite connections held on ${this.dbName}`;
      await stopServer('mongo').catch(() => undefined);
      await startServer('mongo').catch(() => undefined);
      // what was stored before the wedge, counted once the database answers again
      if (this.lastCheck === undefined) {
        await this.checkNow(30_000).then(
          () => (this.observations.counted_after_unwedging = true),
          (e: unknown) => (this.observations.check_after_unwedging_error = String(e)),
        );
      }
    }
    await Promise.all(this.readers.map((r) => r.stop()));
    this.timings.total_s = round((Date.now() - this.createdAt) / 1000);
    this.observations.log_lines = this.logSummary();
    this.observations.unexpected_exits = this.services.filter((p) => !p.intended).map((p) => ({ instance: p.name, exit: p.exit }));
    const file = writeResult({
      scenario: this.config.name,
      title: this.config.title,
      passed: this.passed,
      ...(this.failure === undefined ? {} : { failure: this.failure }),
      seed: this.seed,
      service_env_overrides: serviceEnvOverrides(),
      messages: {
        valid: this.valid.length,
        invalid: this.invalid.length,
        produced: this.driver?.produced ?? 0,
        resent_batches: this.driver?.resends ?? 0,
      },
      faults: this.faults,
      timings: this.timings,
      invariants: (this.lastCheck?.counts ?? {}) as unknown as Record<string, unknown>,
      observations: {
        ...this.observations,
        violations: this.lastCheck?.violations ?? [],
        dead_letter_copies: this.lastCheck?.deadLetterCopies ?? {},
        dead_letter_reasons: this.lastCheck?.reasons ?? {},
      },
      logs: this.services.map((p) => p.logFile),
    });
    const keep = process.env.FAULT_KEEP === '1' || (!this.passed && process.env.FAULT_KEEP !== '0');
    if (!keep) {
      await deleteTopicsQuietly(this.admin, Object.values(this.topics));
      await this.db.dropDatabase().catch(() => undefined);
    }
    await this.admin?.disconnect().catch(() => undefined);
    await this.mongo?.close().catch(() => undefined);
    return file;
  }
}

/**
 * FAULT_SERVICE_ENV="KEY=value,KEY=value": settings given to every service instance of every
 * scenario on top of the scenario's own (e.g. to try a workaround); recorded in each result.
 */
export const serviceEnvOverrides = (): Record<string, string> => {
  const raw = process.env.FAULT_SERVICE_ENV ?? '';
  return Object.fromEntries(
    raw
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) throw new Error(`FAULT_SERVICE_ENV: expected KEY=value, got ${JSON.stringify(pair)}`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
};

export const round = (n: number): number => Math.round(n * 10) / 10;

const tail = (file: string, lines: number): string => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Spreads `extra` at random positions among `base`, keeping each list's own order. */
export const interleave = <A, B>(base: readonly A[], extra: readonly B[], r: Prng): (A | B)[] => {
  const slots = new Map<number, B[]>();
  for (const e of extra) {
    const at = r.int(0, base.length);
    slots.set(at, [...(slots.get(at) ?? []), e]);
  }
  const out: (A | B)[] = [];
  for (let i = 0; i <= base.length; i++) {
    out.push(...(slots.get(i) ?? []));
    if (i < base.length) out.push(base[i]!);
  }
  return out;
};

export { triggerOf };
