/**
 * `npm run bench`: casestream against a re-creation of the reference design (baseline) and against
 * the raw I/O the work needs (limit), on the local stack, in the same run, in alternating order.
 * See bench/README.md.
 *
 *   npm run bench -- [--messages 20000] [--rounds 3] [--contenders casestream,baseline,limit]
 *                    [--modes saturation,paced] [--paced-fraction 0.5 | --paced-rate N] [--partitions 6]
 *                    [--command-share 0.1] [--seed N] [--timeout-s 1800] [--no-verify]
 *                    [--retries 1] [--cpu-prof] [--env KEY=VALUE]... [--limit-documents real|filler]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { loadRulesFile, startConfigServiceStub } from '../tools/config-service-stub/stub.js';
import { checkKnown, intArg, numberArg, parseArgs, stringArg } from './common/args.js';
import { expectations } from './common/oracle.js';
import { REPO_ROOT, RESULTS_DIR, RULES_FILE, RUNNING_TS, STACK } from './common/paths.js';
import { generateWorkload } from './common/workload.js';
import { CONTENDERS, type ContenderName } from './e2e/contenders.js';
import { markdownTable, summarize, table } from './e2e/report.js';
import { runOnce, type BenchContext, type Mode, type RunResult, type RunSpec } from './e2e/runOnce.js';
import { describeStackAtStart, leftoverWarning } from './e2e/stackAtStart.js';
import { drawChart } from './tools/chart.js';

const FLAGS = ['no-verify', 'cpu-prof'];
const OPTIONS = [
  'messages',
  'rounds',
  'contenders',
  'modes',
  'paced-fraction',
  'paced-rate',
  'partitions',
  'command-share',
  'seed',
  'timeout-s',
  'env',
  'retries',
  'limit-documents',
  'previous',
  ...FLAGS,
];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until Kafka, MongoDB and Redis all answer, three times in a row a second apart (the stack may be shared with fault tests that restart servers). */
const waitForStack = async (ctx: BenchContext, mongo: MongoClient, redis: Redis, maxWaitMs = 15 * 60_000): Promise<void> => {
  const deadline = Date.now() + maxWaitMs;
  let good = 0;
  let reported = false;
  while (good < 3) {
    if (ctx.aborted()) throw new Error('interrupted');
    if (Date.now() > deadline) throw new Error(`the stack did not answer for ${maxWaitMs / 1000} s`);
    const admin = ctx.newKafka().admin();
    const probes = await Promise.allSettled([
      admin.connect().then(() => admin.listTopics()),
      mongo.db('admin').command({ ping: 1 }, { timeoutMS: 2000 }),
      redis.ping(),
    ]);
    await admin.disconnect().catch(() => undefined);
    const down = probes.map((p, i) => (p.status === 'rejected' ? ['kafka', 'mongo', 'redis'][i] : null)).filter(Boolean);
    if (down.length === 0) good += 1;
    else {
      good = 0;
      if (!reported) ctx.log(`waiting for the stack: ${down.join(', ')} not answering`);
      reported = true;
    }
    await sleep(1000);
  }
  if (reported) ctx.log('the stack answers again');
};

/** A run, after waiting for the stack; a run that failed or was disturbed by a stack restart is tried again (`--retries`). */
const attempt = async (ctx: BenchContext, spec: RunSpec, retries: number, mongo: MongoClient, redis: Redis): Promise<RunResult> => {
  for (let i = 0; ; i++) {
    await waitForStack(ctx, mongo, redis);
    const result = await runOnce(ctx, spec);
    const bad = result.stackRestarted !== null || (!result.ok && !result.timedOut);
    if (!bad || i >= retries || ctx.aborted()) return result;
    ctx.log(`  trying ${spec.contender} ${spec.mode} again (${result.stackRestarted ? 'a stack server restarted' : result.error})`);
  }
};

const main = async (): Promise<number> => {
  const args = parseArgs(process.argv.slice(2), FLAGS);
  checkKnown(args, OPTIONS);
  const messages = intArg(args, 'messages', 20_000, 10);
  const rounds = intArg(args, 'rounds', 3);
  const partitions = intArg(args, 'partitions', 6);
  const seed = intArg(args, 'seed', 20260101, 0);
  const timeoutS = intArg(args, 'timeout-s', 1800);
  const retries = intArg(args, 'retries', 1, 0);
  const pacedFraction = numberArg(args, 'paced-fraction', 0.5);
  // One offered rate for every contender: their latencies compared under the same load.
  const pacedRate = args.values.has('paced-rate') ? numberArg(args, 'paced-rate', 0) : null;
  if (pacedRate === 0) throw new Error('--paced-rate must be above 0');
  const commandShare = numberArg(args, 'command-share', 0.1);
  const contenders = stringArg(args, 'contenders', 'casestream,baseline,limit').split(',') as ContenderName[];
  for (const c of contenders) if (!CONTENDERS.includes(c)) throw new Error(`unknown contender ${c} (known: ${CONTENDERS.join(', ')})`);
  const limitDocuments = stringArg(args, 'limit-documents', 'real');
  if (limitDocuments !== 'real' && limitDocuments !== 'filler')
    throw new Error(`--limit-documents wants real or filler, got ${limitDocuments}`);
  const modes = stringArg(args, 'modes', 'saturation,paced').split(',') as Mode[];
  for (const m of modes) if (m !== 'saturation' && m !== 'paced') throw new Error(`unknown mode ${m}`);
  const casestreamEnv = Object.fromEntries(
    (args.values.get('env') ?? []).map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--env wants KEY=VALUE, got ${kv}`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
  if (contenders.some((c) => c === 'casestream' || c === 'casestream-traced') && !existsSync(join(REPO_ROOT, 'dist', 'main.js'))) {
    throw new Error('dist/main.js is missing: run `npm run build` first (npm run bench does)');
  }
  const previousDir = args.values.has('previous') ? resolve(stringArg(args, 'previous', '')) : undefined;
  if (contenders.includes('casestream-previous') && (previousDir === undefined || !existsSync(join(previousDir, 'dist', 'main.js')))) {
    throw new Error('casestream-previous needs --previous DIR, a checkout built with npm run build (DIR/dist/main.js)');
  }
  if (RUNNING_TS)
    process.stderr.write('note: running through tsx; baseline and limit also run through tsx, so their RSS includes its loader\n');

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logDir = join(RESULTS_DIR, stamp);
  mkdirSync(logDir, { recursive: true });
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

  const rules = loadRulesFile(RULES_FILE);
  const workloadOptions = { messages, commandShare, seed, partitions, rules };
  const workload = generateWorkload(workloadOptions);
  const expect = expectations(workload, rules);
  log(
    `workload: ${workload.messages.length} messages (${workload.clients} client messages, ${workload.commands} follow-up commands), ` +
      `${expect.expectedNotifications} notifications, ${expect.totals.events} events expected`,
  );

  const stub = await startConfigServiceStub({ port: 0, rules });
  const newKafka = () => new Kafka({ clientId: 'casestream-bench', brokers: [...STACK.brokers], logLevel: logLevel.NOTHING });
  const mongo = await MongoClient.connect(STACK.mongoUrl, { appName: 'casestream-bench' });
  const redis = new Redis(STACK.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined); // reconnects by itself; waitForStack reports an outage
  // The bench waits for a stack that is down before each run; not knowing what it held is no reason to stop.
  const stackAtStart = await describeStackAtStart(mongo, newKafka()).catch((error: unknown) => {
    log(`note: could not see what the stack held at the start (${String(error)}); stack_at_start is null`);
    return null;
  });
  const leftovers = stackAtStart && leftoverWarning(stackAtStart);
  if (leftovers) log(leftovers);

  const children = new Set<ChildProcess>();
  let interrupted = false;
  const killChildren = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.on('exit', killChildren);
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: stopping the current run and cleaning up (Ctrl-C again to quit at once)');
    killChildren();
    process.once('SIGINT', () => process.exit(130));
  });

  const ctx: BenchContext = {
    workload,
    expect,
    partitions,
    newKafka,
    mongo,
    redis,
    stubUrl: stub.url,
    logDir,
    timeoutMs: timeoutS * 1000,
    verify: !args.flags.has('no-verify'),
    cpuProf: args.flags.has('cpu-prof'),
    casestreamEnv,
    ...(previousDir ? { previousDir } : {}),
    ...(limitDocuments === 'real' ? { limitWorkload: workloadOptions } : {}),
    children,
    aborted: () => interrupted,
    log,
  };

  const resultsFile = join(RESULTS_DIR, `${stamp}.json`);
  const results: RunResult[] = [];
  const document = () => ({
    started_at: stamp,
    argv: process.argv.slice(2),
    settings: {
      messages: workload.messages.length,
      rounds,
      partitions,
      seed,
      commandShare,
      pacedFraction,
      pacedRate,
      timeoutS,
      retries,
      contenders,
      modes,
      casestreamEnv,
      previousDir: previousDir ?? null,
      limitDocuments,
    },
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? null,
      total_mem_mb: Math.round(totalmem() / 2 ** 20),
      loadavg_at_start: loadavg(),
      node: process.version,
    },
    stack_at_start: stackAtStart,
    workload: {
      messages: workload.messages.length,
      client_messages: workload.clients,
      commands: workload.commands,
      expected: expect.totals,
    },
    summary: summarize(results),
    runs: results,
  });
  const save = () => writeFileSync(resultsFile, `${JSON.stringify(document(), null, 2)}\n`);

  try {
    for (let round = 1; round <= rounds && !interrupted; round++) {
      // alternating order: round 1 a b c, round 2 b c a, round 3 c a b
      const order = contenders.map((_, i) => contenders[(i + round - 1) % contenders.length]!);
      log(`round ${round}/${rounds}: ${order.join(' → ')}`);
      for (const contender of order) {
        if (interrupted) break;
        let saturation: RunResult | undefined;
        if (modes.includes('saturation')) {
          saturation = await attempt(ctx, { contender, mode: 'saturation', round }, retries, mongo, redis);
          results.push(saturation);
          save();
          log(
            `  ${contender} saturation: ${saturation.throughput?.toFixed(1) ?? '-'} msg/s${saturation.ok ? '' : ` (${saturation.error})`}`,
          );
        }
        if (modes.includes('paced') && !interrupted) {
          const max = saturation?.throughput ?? null;
          const rate = pacedRate ?? (max !== null && max > 0 ? max * pacedFraction : null);
          if (rate === null) {
            log(`  ${contender} paced: skipped (no saturation rate measured to pace at)`);
            continue;
          }
          const paced = await attempt(ctx, { contender, mode: 'paced', round, rate }, retries, mongo, redis);
          results.push(paced);
          save();
          const ms = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(0) : '-');
          log(
            `  ${contender} paced @${rate.toFixed(1)}/s: ${paced.throughput?.toFixed(1) ?? '-'} msg/s, ` +
              `done p50 ${ms(paced.latencyMs?.done.p50)} ms, p99 ${ms(paced.latencyMs?.done.p99)} ms${paced.ok ? '' : ` (${paced.error})`}`,
          );
        }
      }
    }
  } finally {
    save();
    await mongo.close().catch(() => undefined);
    redis.disconnect();
    await stub.close();
  }

  const summaries = summarize(results);
  process.stdout.write(`\n${table(summaries)}\n\n`);
  process.stdout.write(`${markdownTable(summaries)}\n\n`);
  // A chart that cannot be drawn costs the run nothing: `npm run bench:chart` redraws it from the results.
  const chart = await drawChart(resultsFile).catch((error: unknown) => `not drawn (${String(error)})`);
  process.stdout.write(`results: ${resultsFile}\nchart:   ${chart}\nlogs:    ${logDir}\n`);
  const failed = results.filter((r) => !r.ok && !r.timedOut);
  return interrupted ? 130 : failed.length > 0 ? 1 : 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
