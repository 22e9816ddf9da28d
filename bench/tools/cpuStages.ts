/**
 * Where a casestream child's CPU goes, per stage of a message's path: each sample of a V8 CPU
 * profile (`npm run bench -- --cpu-prof`) is charged to the stage of the nearest frame on its
 * stack that names one (a casestream module, or a library's own area for work it does on its own,
 * such as the drivers decoding responses). Samples before the first batch reaches the contender are startup
 * (and, for the limit, its precomputed documents) and are left out, so the shares are those of the processing the bench measures.
 *
 *   node dist/bench/bench/tools/cpuStages.js <file.cpuprofile> [--messages N] [--json]
 *
 * With `--messages` (the run's message count) each stage is also shown in µs of CPU per message.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { areaOf, type CallFrame, type Profile } from './cpuProfileSummary.js';

interface ProfileNodeWithChildren {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

/** The stages, in a message's order; a frame's module path decides its stage. */
const MODULE_STAGES: readonly (readonly [RegExp, string])[] = [
  [/infra\/kafka\/(kafkaRecordSource|toInboundRecord)/, 'Kafka fetch and record decode'],
  [
    /streams\/steps\/decodeRecord|domain\/(codecs|clientMessage|caseCommand|jsonDepth|decodeLimits|storableDocument)/,
    'JSON and io-ts decoding',
  ],
  [/infra\/mongo\/eventStore/, 'event append (BSON, driver)'],
  [/infra\/mongo\/readModelStore/, 'read models (guard reads, writes)'],
  [/infra\/mongo\/rawEventLog/, 'raw copy'],
  [/infra\/mongo\/commandResults/, 'command results'],
  [/infra\/mongo\/lookupFailures/, 'lookup failures'],
  [/infra\/kafka\/(kafkaSinks|deadLetters)|streams\/outboxRelay/, 'notification produce and outbox'],
  [/infra\/rules\//, 'rule lookup (cache, HTTP)'],
  [/infra\/metrics\//, 'metrics'],
  [/infra\/logger/, 'logging'],
  [/streams\/tracing\/|infra\/telemetry\//, 'tracing hooks'],
  [/domain\/|lib\/(sha256|murmur3)/, 'deciding, folding, projecting (domain)'],
  [/lib\/|operators\/|streams\//, 'pipeline (intake, actors, steps, batching)'],
];

/** Work a library does outside any casestream frame (its own callbacks), by library. */
const AREA_STAGES: Readonly<Record<string, string>> = {
  kafkajs: 'Kafka client (fetch, produce, commits: own callbacks)',
  mongodb: 'MongoDB driver (pool, responses: own callbacks)',
  bson: 'MongoDB driver (pool, responses: own callbacks)',
  pino: 'logging',
  'prom-client': 'metrics',
  ioredis: 'rule lookup (cache, HTTP)',
  'node-fetch': 'rule lookup (cache, HTTP)',
  rxjs: 'RxJS scheduling (outside any step)',
};

const PRECOMPUTED = '(bench precomputation)';

/** Which casestream modules may have asked a driver library for its work. */
const DRIVER_MODULES: Readonly<Record<string, RegExp>> = {
  bson: /infra\/mongo\//,
  mongodb: /infra\/mongo\//,
  kafkajs: /infra\/kafka\//,
  ioredis: /infra\/rules\//,
  'node-fetch': /infra\/rules\//,
  pino: /infra\/logger/,
  'prom-client': /infra\/metrics\//,
};

export interface StageShare {
  readonly stage: string;
  readonly us: number;
  readonly share: number;
}

export interface StageBreakdown {
  readonly cpuUs: number;
  readonly stages: readonly StageShare[];
}

const stageOfModule = (url: string): string | undefined => MODULE_STAGES.find(([pattern]) => pattern.test(url))?.[1];

/** The first sample inside the contender's own `eachBatch` (its first batch): everything before it is startup. */
const firstProcessingSample = (profile: Profile, underConsumer: (id: number) => boolean): number => {
  const at = profile.samples.findIndex(underConsumer);
  return at < 0 ? 0 : at;
};

export const stageBreakdown = (profile: Profile): StageBreakdown => {
  const nodes = profile.nodes as readonly ProfileNodeWithChildren[];
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const memo = new Map<number, string>();
  /** The library of the innermost frame that belongs to a package (node internals and natives skipped). */
  const libraryOf = (id: number): string | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const area = areaOf(frame);
      if (area.startsWith('casestream')) return undefined;
      if (AREA_STAGES[area] !== undefined) return area;
    }
    return undefined;
  };
  const stageOf = (id: number): string => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const leaf = byId.get(id)!.callFrame;
    let stage: string | undefined;
    if (leaf.functionName === '(garbage collector)') stage = 'garbage collection';
    else if (leaf.functionName === '(idle)') stage = '(idle)';
    else if (leaf.functionName === '(program)') stage = 'V8 and native (program)';
    // The limit computes the documents it writes before it is measured (bench/common/storedDocuments).
    for (let at: number | undefined = id; stage === undefined && at !== undefined; at = parent.get(at)) {
      if (/bench\/common\//.test(byId.get(at)!.callFrame.url)) stage = PRECOMPUTED;
    }
    // A driver's work is charged to the casestream store that asked for it (the nearest
    // infra module on the stack), or to the driver itself when it runs on its own callbacks.
    const library = stage === undefined ? libraryOf(id) : undefined;
    const driven = library === undefined ? undefined : DRIVER_MODULES[library];
    for (let at: number | undefined = id; stage === undefined && at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)!.callFrame.url;
      if (driven === undefined || driven.test(url)) stage = stageOfModule(url);
    }
    if (stage === undefined && library !== undefined) stage = AREA_STAGES[library];
    stage ??= 'Node.js I/O and timers';
    memo.set(id, stage);
    return stage;
  };
  const totals = new Map<string, number>();
  let cpuUs = 0;
  const consumerFrames = new Map<number, boolean>();
  const underConsumer = (id: number): boolean => {
    let known = consumerFrames.get(id);
    if (known === undefined) {
      const parentId = parent.get(id);
      const frame = byId.get(id)!.callFrame;
      known =
        (frame.functionName === 'eachBatch' && !frame.url.includes('node_modules')) || (parentId !== undefined && underConsumer(parentId));
      consumerFrames.set(id, known);
    }
    return known;
  };
  for (let i = firstProcessingSample(profile, underConsumer); i < profile.samples.length; i += 1) {
    const stage = stageOf(profile.samples[i]!);
    if (stage === '(idle)' || stage === PRECOMPUTED) continue;
    const us = profile.timeDeltas[i] ?? 0;
    cpuUs += us;
    totals.set(stage, (totals.get(stage) ?? 0) + us);
  }
  const stages = [...totals].map(([stage, us]) => ({ stage, us, share: cpuUs === 0 ? 0 : us / cpuUs })).sort((a, b) => b.us - a.us);
  return { cpuUs, stages };
};

/** The breakdown as text; with the run's message count, each stage also in µs of CPU per message. */
export const formatBreakdown = (b: StageBreakdown, messages?: number): string => {
  const rows = b.stages.map((s) => {
    const perMsg = messages === undefined ? '' : `  ${(s.us / messages).toFixed(0).padStart(5)} µs/msg`;
    return `${(s.us / 1000).toFixed(0).padStart(7)} ms  ${(100 * s.share).toFixed(1).padStart(5)} %${perMsg}  ${s.stage}`;
  });
  const total = messages === undefined ? '' : ` (${(b.cpuUs / messages / 1000).toFixed(2)} ms/msg)`;
  return [`${(b.cpuUs / 1e6).toFixed(2)} s on CPU from the first batch${total}`, ...rows].join('\n');
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: cpuStages <file.cpuprofile> [--messages N] [--json]\n');
    process.exit(2);
  }
  const at = process.argv.indexOf('--messages');
  const messages = at > 0 ? Number(process.argv[at + 1]) : undefined;
  const breakdown = stageBreakdown(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  process.stdout.write(
    process.argv.includes('--json') ? `${JSON.stringify(breakdown, null, 2)}\n` : `${formatBreakdown(breakdown, messages)}\n`,
  );
}
