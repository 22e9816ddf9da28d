// Shared helpers for tests that run against the local stack started by
// `npm run stack:up` (scripts/stack/up.sh). Addresses are loopback only.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOOPBACK = '127.0.0.1';
export const KAFKA_BROKERS: readonly string[] = [`${LOOPBACK}:9092`];
export const MONGO_URL = `mongodb://${LOOPBACK}:27017/`;
export const REDIS_URL = `redis://${LOOPBACK}:6379`;
export const CONFIG_SERVICE_URL = `http://${LOOPBACK}:8081`;

export const STACK = {
  kafkaBrokers: KAFKA_BROKERS,
  mongoUrl: MONGO_URL,
  redisUrl: REDIS_URL,
  configServiceUrl: CONFIG_SERVICE_URL,
} as const;

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Stack service names understood by scripts/stack/{up,down,status}.sh. */
export type StackService = 'kafka' | 'mongo' | 'redis' | 'config-stub' | 'jaeger';
export const STACK_SERVICES: readonly StackService[] = ['kafka', 'mongo', 'redis', 'config-stub', 'jaeger'];

/** Runtime directory of the stack (same rule as scripts/stack/lib.sh). */
export function stackRunDir(): string {
  const cache = process.env.CASESTREAM_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'casestream');
  return join(cache, 'run');
}

/** Pid recorded by up.sh for a service, if its process is alive. */
export function stackPid(service: StackService): number | undefined {
  const file = join(stackRunDir(), 'pids', `${service}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Log file of a stack service. */
export const stackLog = (service: StackService): string => join(stackRunDir(), 'logs', `${service}.log`);

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run scripts/stack/<action>.sh for some services, e.g. for fault tests:
 * `await runStackScript('down', 'kafka')` ... `await runStackScript('up', 'kafka')`.
 * Never rejects on a non-zero exit; check `code`.
 */
export function runStackScript(action: 'up' | 'down' | 'status', ...services: StackService[]): Promise<ScriptResult> {
  const script = resolve(REPO_ROOT, 'scripts/stack', `${action}.sh`);
  return new Promise((done) => {
    execFile('bash', [script, ...services], { cwd: REPO_ROOT, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `predicate` until it returns a truthy value (which is returned) or the
 * timeout elapses (rejects, mentioning the last error the predicate threw).
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 10_000,
  { intervalMs = 50, description = 'condition' }: { intervalMs?: number; description?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const suffix = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${suffix}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * A name unique to this run, safe as a Kafka topic, consumer group, MongoDB
 * database/collection or Redis key: `<prefix>_<time>_<random>`, at most 60
 * characters of [A-Za-z0-9_-].
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
