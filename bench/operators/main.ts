/**
 * `npm run bench:operators`: a CPU-only micro-benchmark of casestream's composed operators.
 * N InboundRecords (default 100 000: the e2e workload's mix, follow-up commands 200 records after
 * their case) go through `casePipeline(...)` + `consumeLoop` exactly as the service composes them
 * (the intake's credits and offset ledger, per-case actors, commits), with synchronous in-memory ports.
 *
 * Each round runs in a fresh child process (so one round's actors and timers cannot weigh on the
 * next), after a warm-up pass. For comparison the same records also go through two plain loops
 * without RxJS: the bare loop does the pipeline's work (decode, rule, decide, fold, append to the
 * same in-memory store, project, raw copy, the ports' counts), so the difference is what the
 * operators cost, and the target is the pipeline at >= 0.7 x its throughput (issue 20); the bare
 * domain loop does the same without the in-memory ports. Each pass reports msg/s, the process's
 * CPU time per message (GC helper threads included) and the main thread's GC pauses per message;
 * the ratios are taken round by round, then their median. `--profile DIR` writes a V8 CPU profile
 * of each measured pass (bench/tools/cpuProfileSummary.ts summarises one).
 *
 *   npm run bench:operators -- [--messages 100000] [--rounds 3] [--warmup 10000] [--chunk 500]
 *                              [--max-in-flight N] [--max-active-cases N] [--idle-ms N]
 *                              [--keep-released N] [--commit-every-ms N] [--command-share 0.1] [--profile DIR] [--json]
 *
 * The pipeline's bounds default to the service's own defaults (src/infra/settings.ts).
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import * as E from 'fp-ts/lib/Either.js';
import { Observable } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../src/domain/caseState.js';
import { caseCreatedTrigger, ruleContext } from '../../src/domain/decideNotification.js';
import { decide } from '../../src/domain/decide.js';
import { isEventOf } from '../../src/domain/events.js';
import { projectEvents } from '../../src/domain/projections.js';
import { unstorableBecause } from '../../src/domain/storableDocument.js';
import { decodeInbound } from '../../src/streams/steps/decodeRecord.js';
import { rawCopyId } from '../../src/streams/steps/recordRawEvent.js';
import { recordTime } from '../../src/streams/records.js';
import { LruMap } from '../../src/lib/lruMap.js';
import { casePipeline } from '../../src/streams/casePipeline.js';
import { consumeLoop } from '../../src/streams/consumeLoop.js';
import { admitted, Intake } from '../../src/streams/intake.js';
import type { InboundRecord } from '../../src/streams/records.js';
import { loadRulesFile } from '../../tools/config-service-stub/stub.js';
import { checkKnown, intArg, numberArg, parseArgs } from '../common/args.js';
import { benchScript, RESULTS_DIR, RULES_FILE } from '../common/paths.js';
import { memoryOf } from '../common/proc.js';
import { pushTo } from '../common/pushTo.js';
import { median } from '../common/stats.js';
import { generateWorkload, type RulesByTrigger } from '../common/workload.js';
import { decodeSettings, type Settings as ServiceSettings } from '../../src/infra/settings.js';
import { MemoryPorts } from './memoryPorts.js';
import { profiled } from './profile.js';

const TOPICS = { clientData: 'kyc_events', commands: 'case_commands' };
const PARTITIONS = 6;
/** The pipeline's throughput as a share of the bare loop's that issue 20 asks for. */
const TARGET_SHARE = 0.7;
const FLAGS = ['child', 'json'];
const OPTIONS = [
  'messages',
  'rounds',
  'warmup',
  'chunk',
  'max-in-flight',
  'max-active-cases',
  'idle-ms',
  'keep-released',
  'commit-every-ms',
  'command-share',
  'profile',
  'round',
  ...FLAGS,
];

interface Settings {
  readonly messages: number;
  readonly warmup: number;
  readonly chunk: number;
  readonly maxInFlight: number;
  readonly maxActiveCases: number;
  readonly idleMs: number;
  readonly keepReleased: number;
  readonly commitEveryMs: number;
  readonly commandShare: number;
  /** Where each round writes the CPU profiles of its two measured passes (none when absent). */
  readonly profileDir: string | undefined;
}

/** The e2e workload as Kafka would hand it over: each case's follow-up commands 200 records after it. */
const inboundRecords = (messages: number, commandShare: number, rules: RulesByTrigger, idPrefix: string): InboundRecord[] => {
  const workload = generateWorkload({ messages, commandShare, partitions: PARTITIONS, rules, idPrefix });
  const later = new Map<number, number[]>();
  for (const m of workload.messages) {
    if (m.kind !== 'client' || m.followUps.length === 0) continue;
    const at = Math.min(m.index + 200, workload.clients - 1);
    pushTo(later, at, ...m.followUps);
  }
  const order: number[] = [];
  for (let i = 0; i < workload.clients; i++) order.push(i, ...(later.get(i) ?? []));
  const offsets = new Map<string, number>();
  return order.map((index) => {
    const m = workload.messages[index]!;
    const topic = m.kind === 'client' ? TOPICS.clientData : TOPICS.commands;
    const slot = `${topic}/${m.partition}`;
    const offset = offsets.get(slot) ?? 0;
    offsets.set(slot, offset + 1);
    return {
      topic,
      partition: m.partition,
      offset: String(offset),
      key: m.key === null ? null : Buffer.from(m.key),
      value: m.value,
      headers: { 'message-id': m.messageId },
      timestamp: String(1767225600000 + index),
    };
  });
};

/** The service's settings with nothing set: its defaults. */
const serviceDefaults = (): ServiceSettings => {
  const decoded = decodeSettings({});
  if (decoded._tag === 'Left') throw new Error(decoded.left);
  return decoded.right;
};

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
// V8's own count, what heapUsed reports, without the RSS read process.memoryUsage() makes at every sample.
const heapMb = (): number => getHeapStatistics().used_heap_size / 2 ** 20;

/** Records pushed chunk by chunk (like Kafka batches), yielding to the event loop in between. */
const chunked = (records: readonly InboundRecord[], chunk: number, onChunk: () => void) =>
  new Observable<InboundRecord>((subscriber) => {
    let i = 0;
    let stopped = false;
    const pump = () => {
      if (stopped) return;
      const end = Math.min(i + chunk, records.length);
      for (; i < end; i++) subscriber.next(records[i]!);
      onChunk();
      if (i < records.length) setImmediate(pump);
      else subscriber.complete();
    };
    setImmediate(pump);
    return () => {
      stopped = true;
    };
  });

/** How long a pass took, by the clock and in CPU time (all of the process's threads: GC helpers too). */
interface PassTiming {
  readonly msgPerSec: number;
  readonly ms: number;
  readonly cpuUsPerMsg: number;
  readonly startedAt: number;
}

const timing = (messages: number, t0: number, cpu0: NodeJS.CpuUsage): PassTiming => {
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { msgPerSec: (messages * 1000) / ms, ms, cpuUsPerMsg: (cpu.user + cpu.system) / messages, startedAt: t0 };
};

/** The main thread's GC pauses, as the runtime reports them: after the fact, hence the turn `gcUsPerMsg` waits. */
const gcSeen: { readonly at: number; readonly ms: number }[] = [];
const keepGc = (entries: readonly PerformanceEntry[]): void => {
  for (const e of entries) gcSeen.push({ at: e.startTime, ms: e.duration });
};
const gcPauses = new PerformanceObserver((list) => keepGc(list.getEntries()));

/** µs of GC pauses a message during a pass. */
const gcUsPerMsg = async (t: PassTiming, messages: number): Promise<number> => {
  await new Promise((r) => setImmediate(r));
  keepGc(gcPauses.takeRecords());
  const ms = gcSeen.filter((p) => p.at >= t.startedAt && p.at < t.startedAt + t.ms).reduce((sum, p) => sum + p.ms, 0);
  return (ms * 1000) / messages;
};

interface PassResult extends PassTiming {
  readonly peakHeapMb: number;
  readonly rejected: number;
  readonly ports: MemoryPorts;
}

/** One pass of the records through the composed pipeline, as src/service.ts composes it. */
const pipelinePass = (records: readonly InboundRecord[], rules: RulesByTrigger, s: Settings, idleMs: number): Promise<PassResult> => {
  const ports = new MemoryPorts(rules);
  const intake = new Intake({ maxMessages: s.maxInFlight });
  const pipeline = casePipeline(ports.ports, {
    topics: TOPICS,
    actors: { maxActiveCases: s.maxActiveCases, idleMs, keepReleased: s.keepReleased },
    handler: { maxConflictRetries: 5, retryInitialMs: 200, retryMaxMs: 30_000 },
  });
  let peak = heapMb();
  const sample = () => {
    const h = heapMb();
    if (h > peak) peak = h;
  };
  const sampler = setInterval(sample, 10);
  let completed = 0;
  let rejected = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return new Promise<PassResult>((resolve, reject) => {
    const subscription = chunked(records, s.chunk, sample)
      .pipe(admitted(intake), consumeLoop(pipeline, { intake, commitEveryMs: s.commitEveryMs }))
      .subscribe({
        next: (e) => {
          if (e.kind !== 'completed') return;
          if (e.completion.outcome === 'rejected') rejected += 1;
          completed += 1;
          if (completed === records.length) {
            const took = timing(records.length, t0, cpu0);
            sample();
            clearInterval(sampler);
            subscription?.unsubscribe();
            resolve({ ...took, peakHeapMb: peak, rejected, ports });
          }
        },
        error: (error: unknown) => {
          clearInterval(sampler);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      });
  });
};

/**
 * The same records in a plain loop, without RxJS: decode, the rule (cached, as the in-memory ports
 * answer it), decide, fold the case state, project, and the raw copy's id and storability check.
 * With `ports`, also what the pipeline's ports do: the append to the same in-memory store and the
 * counts of the other ports. Everything the pipeline does but the operators and their bookkeeping.
 */
const barePass = (records: readonly InboundRecord[], rules: RulesByTrigger, s: Settings, ports: MemoryPorts | undefined): PassTiming => {
  const decode = decodeInbound(TOPICS);
  const answers = ports ?? new MemoryPorts(rules);
  // As many case states as the pipeline keeps (its active and its released cases): a loop keeping
  // every case's state would weigh a heap the service never holds on its garbage collector.
  const states = new LruMap<string, CaseState>(s.maxActiveCases + s.keepReleased);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const record of records) {
    const d = decode(record);
    if (d.kind !== 'command') throw new Error(`the workload holds no rejection, got ${d.rejection.reason}`);
    const cmd = d.command;
    const answer = cmd.command_type === 'CreateCase' ? answers.ruleFor(caseCreatedTrigger(cmd), ruleContext(cmd)) : null;
    const state = states.get(cmd.case_id) ?? (ports === undefined ? emptyCase(cmd.case_id) : ports.loaded(cmd.case_id));
    const decided = decide(state, cmd, answer?.kind === 'rule' ? answer : null);
    if (E.isLeft(decided)) throw new Error(`the workload holds no rejection, got ${decided.left.reason}`);
    const events = decided.right;
    const after = evolveCase(state, events);
    if (ports !== undefined && events.length > 0 && ports.append(events).kind !== 'appended') throw new Error('the append was refused');
    states.set(cmd.case_id, after);
    const writes = projectEvents(events);
    if (d.raw !== null && cmd.command_type === 'CreateCase') {
      const raw = { id: rawCopyId(cmd.ids), stored: unstorableBecause(d.raw) === null, received_at: recordTime(record) };
      if (ports !== undefined && raw.stored) ports.rawEvents += 1;
    }
    if (ports !== undefined) {
      ports.readModelWrites += writes.length;
      ports.notifications += events.filter(isEventOf('NotificationRequired')).length;
      if (cmd.command_type !== 'CreateCase') ports.commandResults += 1;
    }
  }
  return timing(records.length, t0, cpu0);
};

/** One round, in this (child) process: warm up, measure the pipeline, then the bare domain. */
const child = async (s: Settings, round: number): Promise<void> => {
  gcPauses.observe({ entryTypes: ['gc'] });
  const rules = loadRulesFile(RULES_FILE);
  const warm = inboundRecords(s.warmup, s.commandShare, rules, 'warm');
  const records = inboundRecords(s.messages, s.commandShare, rules, 'bench');
  // warm-up: the JIT sees every path; short-lived actors so nothing of it stays around
  await pipelinePass(warm, rules, s, 1);
  barePass(warm, rules, s, new MemoryPorts(rules));
  barePass(warm, rules, s, undefined);
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const heapBeforeMb = heapMb();
  const pass = await profiled(s.profileDir, `pipeline-round-${round}`, () => pipelinePass(records, rules, s, s.idleMs));
  const passGc = await gcUsPerMsg(pass, records.length);
  gc();
  const heapRetainedMb = heapMb();
  const storedEvents = pass.ports.events;
  pass.ports.clear();
  gc();
  const heapWithoutStoreMb = heapMb();
  const bare = await profiled(s.profileDir, `bare-round-${round}`, () => barePass(records, rules, s, new MemoryPorts(rules)));
  const bareGc = await gcUsPerMsg(bare, records.length);
  gc();
  const domain = await profiled(s.profileDir, `domain-round-${round}`, () => barePass(records, rules, s, undefined));
  const domainGc = await gcUsPerMsg(domain, records.length);
  const p = pass.ports;
  process.stdout.write(
    `${JSON.stringify({
      messages: records.length,
      msgPerSec: pass.msgPerSec,
      ms: pass.ms,
      cpuUsPerMsg: pass.cpuUsPerMsg,
      gcUsPerMsg: passGc,
      bareMsgPerSec: bare.msgPerSec,
      bareCpuUsPerMsg: bare.cpuUsPerMsg,
      bareGcUsPerMsg: bareGc,
      peakHeapMb: pass.peakHeapMb,
      heapBeforeMb,
      heapRetainedMb,
      heapWithoutStoreMb,
      peakRssMb: memoryOf(process.pid)?.hwmMb ?? null,
      domainMsgPerSec: domain.msgPerSec,
      domainCpuUsPerMsg: domain.cpuUsPerMsg,
      domainGcUsPerMsg: domainGc,
      rejected: pass.rejected,
      counts: {
        events: storedEvents,
        loads: p.loads,
        conflicts: p.conflicts,
        readModelWrites: p.readModelWrites,
        notifications: p.notifications,
        rawEvents: p.rawEvents,
        commandResults: p.commandResults,
        deadLetters: p.deadLetters,
      },
    })}\n`,
  );
  process.exit(0);
};

const runChild = (argv: readonly string[]): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', ...benchScript('operators/main.ts'), '--child', ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`round exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv, FLAGS);
  checkKnown(args, OPTIONS);
  const defaults = serviceDefaults();
  const profileDir = args.values.get('profile')?.at(-1);
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const settings: Settings = {
    messages: intArg(args, 'messages', 100_000),
    warmup: intArg(args, 'warmup', 10_000),
    chunk: intArg(args, 'chunk', 500),
    maxInFlight: intArg(args, 'max-in-flight', defaults.limits.maxInFlightMessages),
    maxActiveCases: intArg(args, 'max-active-cases', defaults.pipeline.maxActiveCases),
    idleMs: intArg(args, 'idle-ms', defaults.pipeline.caseIdleMs),
    keepReleased: intArg(args, 'keep-released', defaults.pipeline.caseStatesKept, 0),
    commitEveryMs: intArg(args, 'commit-every-ms', defaults.pipeline.commitIntervalMs, 0),
    commandShare: numberArg(args, 'command-share', 0.1),
    profileDir: profileDir === undefined ? undefined : resolve(profileDir),
  };
  if (args.flags.has('child')) return child(settings, intArg(args, 'round', 1));

  const rounds = intArg(args, 'rounds', 3);
  const childArgv = argv.filter((a, i) => !(a === '--rounds' || argv[i - 1] === '--rounds' || a.startsWith('--rounds=') || a === '--json'));
  const results: Record<string, unknown>[] = [];
  for (let r = 1; r <= rounds; r++) {
    const result = await runChild([...childArgv, '--round', String(r)]);
    results.push(result);
    process.stderr.write(
      `round ${r}/${rounds}: ${Math.round(result.msgPerSec as number)} msg/s through the operators, ` +
        `${Math.round(result.bareMsgPerSec as number)} msg/s bare loop (${((result.msgPerSec as number) / (result.bareMsgPerSec as number)).toFixed(2)} x), ` +
        `${Math.round(result.domainMsgPerSec as number)} msg/s bare domain, peak heap ${Math.round(result.peakHeapMb as number)} MB\n`,
    );
  }
  const med = (k: string) => median(results.map((x) => x[k] as number));
  // Ratios per round, then their median: each round compares its passes on the same machine state.
  const medRatio = (of: (x: Record<string, unknown>) => number) => median(results.map(of));
  const n = (x: Record<string, unknown>, k: string) => x[k] as number;
  const share = medRatio((x) => n(x, 'msgPerSec') / n(x, 'bareMsgPerSec'));
  const summary = {
    settings: { ...settings, rounds },
    node: process.version,
    messages: results[0]?.messages,
    msgPerSec: med('msgPerSec'),
    cpuUsPerMsg: med('cpuUsPerMsg'),
    gcUsPerMsg: med('gcUsPerMsg'),
    bareMsgPerSec: med('bareMsgPerSec'),
    bareCpuUsPerMsg: med('bareCpuUsPerMsg'),
    bareGcUsPerMsg: med('bareGcUsPerMsg'),
    domainMsgPerSec: med('domainMsgPerSec'),
    domainCpuUsPerMsg: med('domainCpuUsPerMsg'),
    domainGcUsPerMsg: med('domainGcUsPerMsg'),
    /** The pipeline's throughput as a share of the bare loop's, and of the bare domain's. */
    shareOfBare: share,
    shareOfBareByCpu: medRatio((x) => n(x, 'bareCpuUsPerMsg') / n(x, 'cpuUsPerMsg')),
    shareOfDomain: medRatio((x) => n(x, 'msgPerSec') / n(x, 'domainMsgPerSec')),
    /** What the operators add to a message over the bare loop, by the clock and in CPU time. */
    overheadUsPerMsg: medRatio((x) => 1e6 / n(x, 'msgPerSec') - 1e6 / n(x, 'bareMsgPerSec')),
    overheadCpuUsPerMsg: medRatio((x) => n(x, 'cpuUsPerMsg') - n(x, 'bareCpuUsPerMsg')),
    peakHeapMb: med('peakHeapMb'),
    heapRetainedMb: med('heapRetainedMb'),
    heapWithoutStoreMb: med('heapWithoutStoreMb'),
    peakRssMb: med('peakRssMb'),
    targetShare: TARGET_SHARE,
    meetsTarget: (share ?? 0) >= TARGET_SHARE,
    rounds: results,
  };
  const f = (x: number | null, d = 0) => (x === null ? '-' : x.toFixed(d));
  const pass = (name: string, msgPerSec: number | null, cpu: number | null, gcPauses: number | null) =>
    `  ${name.padEnd(50)} ${f(msgPerSec).padStart(6)} msg/s, ${f(cpu, 1).padStart(5)} µs CPU and ${f(gcPauses, 1).padStart(4)} µs GC pauses a message`;
  process.stdout.write(
    [
      `operators: ${summary.messages} records, median of ${rounds} round(s)`,
      pass('pipeline (casePipeline + consumeLoop):', summary.msgPerSec, summary.cpuUsPerMsg, summary.gcUsPerMsg),
      pass('bare loop (the same work and ports, no RxJS):', summary.bareMsgPerSec, summary.bareCpuUsPerMsg, summary.bareGcUsPerMsg),
      pass('bare domain (the bare loop without the ports):', summary.domainMsgPerSec, summary.domainCpuUsPerMsg, summary.domainGcUsPerMsg),
      `  pipeline / bare loop: ${f(summary.shareOfBare, 2)} x by msg/s, ${f(summary.shareOfBareByCpu, 2)} x by CPU; ` +
        `target >= ${TARGET_SHARE} x: ${summary.meetsTarget ? 'met' : 'NOT met'}`,
      `  the operators add ${f(summary.overheadUsPerMsg, 1)} µs a message (${f(summary.overheadCpuUsPerMsg, 1)} µs CPU); ` +
        `pipeline / bare domain: ${f(summary.shareOfDomain, 2)} x by msg/s`,
      `  peak heap used: ${f(summary.peakHeapMb)} MB, of which the in-memory event store (every event) is about ` +
        `${f(summary.heapRetainedMb === null || summary.heapWithoutStoreMb === null ? null : summary.heapRetainedMb - summary.heapWithoutStoreMb)} MB; ` +
        `pipeline + live case actors after the run (after GC): ${f(summary.heapWithoutStoreMb)} MB`,
      `  peak RSS: ${f(summary.peakRssMb)} MB`,
      '',
    ].join('\n'),
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `operators-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
  // Imported here, not at the top: the measuring children run this same file, and Vega would weigh on their heap.
  const { drawChart } = await import('../tools/chart.js');
  const chart = await drawChart(file).catch((error: unknown) => `not drawn (${String(error)})`);
  process.stdout.write(`chart:   ${chart}\n`);
  if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`bench:operators: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
