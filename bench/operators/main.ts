/**
 * `npm run bench:operators`: a CPU-only micro-benchmark of casestream's composed operators.
 * N InboundRecords (default 100 000: the e2e workload's mix, follow-up commands 200 records after
 * their case) go through `casePipeline(...)` + `consumeLoop` exactly as the service composes them
 * (the intake's credits and offset ledger, per-case actors, commits), with synchronous in-memory ports. Reports
 * messages per second and peak heap; the target is >= 50 000 msg/s.
 *
 * Each round runs in a fresh child process (so one round's actors and timers cannot weigh on the
 * next), after a warm-up pass. For comparison the same records also go through the bare domain
 * (decode, decide, fold, project) in a plain loop: the difference is what the operators cost.
 *
 *   npm run bench:operators -- [--messages 100000] [--rounds 3] [--warmup 10000] [--chunk 500]
 *                              [--max-in-flight N] [--max-active-cases N] [--idle-ms N]
 *                              [--keep-released N] [--commit-every-ms N] [--command-share 0.1] [--json]
 *
 * The pipeline's bounds default to the service's own defaults (src/infra/settings.ts).
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { Observable } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../src/domain/caseState.js';
import { caseCreatedTrigger } from '../../src/domain/decideNotification.js';
import { decide } from '../../src/domain/decide.js';
import { selectRule, type FoundRule } from '../../src/domain/notificationRule.js';
import { projectEvents } from '../../src/domain/projections.js';
import { decodeInbound } from '../../src/streams/steps/decodeRecord.js';
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

const TOPICS = { clientData: 'kyc_events', commands: 'case_commands' };
const PARTITIONS = 6;
const TARGET = 50_000;
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
const heapMb = (): number => process.memoryUsage().heapUsed / 2 ** 20;

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

interface PassResult {
  readonly msgPerSec: number;
  readonly ms: number;
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
            const ms = performance.now() - t0;
            sample();
            clearInterval(sampler);
            subscription?.unsubscribe();
            resolve({ msgPerSec: (records.length * 1000) / ms, ms, peakHeapMb: peak, rejected, ports });
          }
        },
        error: (error: unknown) => {
          clearInterval(sampler);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      });
  });
};

/** The same records through the bare domain in a plain loop: decode, decide, fold the state, project. */
const domainPass = (records: readonly InboundRecord[], rules: RulesByTrigger): number => {
  const decode = decodeInbound(TOPICS);
  const states = new Map<string, CaseState>();
  const ruleCache = new Map<string, ReturnType<typeof selectRule>>();
  const fetched_at = new Date().toISOString();
  const t0 = performance.now();
  for (const record of records) {
    const d = decode(record);
    if (d.kind !== 'command') continue;
    const cmd = d.command;
    let rule: FoundRule | null = null;
    if (cmd.command_type === 'CreateCase') {
      const trigger = caseCreatedTrigger(cmd);
      let selected = ruleCache.get(trigger);
      if (!selected) ruleCache.set(trigger, (selected = selectRule([...(rules[trigger] ?? [])])));
      rule = E.isRight(selected) && selected.right.rule ? { rule: selected.right.rule, source: 'cache', fetched_at } : null;
    }
    const state = states.get(cmd.case_id) ?? emptyCase(cmd.case_id);
    const decided = decide(state, cmd, rule);
    if (E.isLeft(decided)) continue;
    states.set(cmd.case_id, evolveCase(state, decided.right));
    projectEvents(decided.right);
  }
  return (records.length * 1000) / (performance.now() - t0);
};

/** One round, in this (child) process: warm up, measure the pipeline, then the bare domain. */
const child = async (s: Settings): Promise<void> => {
  const rules = loadRulesFile(RULES_FILE);
  const warm = inboundRecords(s.warmup, s.commandShare, rules, 'warm');
  const records = inboundRecords(s.messages, s.commandShare, rules, 'bench');
  // warm-up: the JIT sees every path; short-lived actors so nothing of it stays around
  await pipelinePass(warm, rules, s, 1);
  domainPass(warm, rules);
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const heapBeforeMb = heapMb();
  const pass = await pipelinePass(records, rules, s, s.idleMs);
  gc();
  const heapRetainedMb = heapMb();
  const storedEvents = pass.ports.events;
  pass.ports.clear();
  gc();
  const heapWithoutStoreMb = heapMb();
  const domainMsgPerSec = domainPass(records, rules);
  const p = pass.ports;
  process.stdout.write(
    `${JSON.stringify({
      messages: records.length,
      msgPerSec: pass.msgPerSec,
      ms: pass.ms,
      peakHeapMb: pass.peakHeapMb,
      heapBeforeMb,
      heapRetainedMb,
      heapWithoutStoreMb,
      peakRssMb: memoryOf(process.pid)?.hwmMb ?? null,
      domainMsgPerSec,
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
  };
  if (args.flags.has('child')) return child(settings);

  const rounds = intArg(args, 'rounds', 3);
  const childArgv = argv.filter((a, i) => !(a === '--rounds' || argv[i - 1] === '--rounds' || a.startsWith('--rounds=') || a === '--json'));
  const results: Record<string, unknown>[] = [];
  for (let r = 1; r <= rounds; r++) {
    const result = await runChild(childArgv);
    results.push(result);
    process.stderr.write(
      `round ${r}/${rounds}: ${Math.round(result.msgPerSec as number)} msg/s through the operators ` +
        `(${Math.round(result.domainMsgPerSec as number)} msg/s bare domain), peak heap ${Math.round(result.peakHeapMb as number)} MB\n`,
    );
  }
  const med = (k: string) => median(results.map((x) => x[k] as number));
  const summary = {
    settings: { ...settings, rounds },
    node: process.version,
    messages: results[0]?.messages,
    msgPerSec: med('msgPerSec'),
    domainMsgPerSec: med('domainMsgPerSec'),
    peakHeapMb: med('peakHeapMb'),
    heapRetainedMb: med('heapRetainedMb'),
    heapWithoutStoreMb: med('heapWithoutStoreMb'),
    peakRssMb: med('peakRssMb'),
    target: TARGET,
    meetsTarget: (med('msgPerSec') ?? 0) >= TARGET,
    rounds: results,
  };
  const f = (n: number | null, d = 0) => (n === null ? '-' : n.toFixed(d));
  process.stdout.write(
    [
      `operators: ${summary.messages} records, median of ${rounds} round(s)`,
      `  pipeline (casePipeline + consumeLoop): ${f(summary.msgPerSec)} msg/s   target >= ${TARGET}: ${summary.meetsTarget ? 'met' : 'NOT met'}`,
      `  bare domain (decode+decide+fold+project): ${f(summary.domainMsgPerSec)} msg/s`,
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
  if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`bench:operators: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
