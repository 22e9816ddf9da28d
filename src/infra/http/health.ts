import type { Db } from 'mongodb';
import type { RuleLookupStats } from '../rules/cachedRuleLookup.js';

export type { StalledPartition } from '../../streams/offsetLedger.js';

/** The state of one dependency. */
export interface ComponentHealth {
  readonly status: 'up' | 'down' | 'degraded' | 'disabled';
  /** One line, never a secret or a URL with credentials. */
  readonly detail?: string;
}

export type ComponentName = 'kafka' | 'mongodb' | 'redis' | 'config_service';

/**
 * `down` when Kafka or MongoDB is down (no message can be handled); `degraded` when Redis or the
 * Configuration Service is down or anything is degraded (cases still succeed, notifications may wait).
 */
export interface HealthReport {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly components: Readonly<Record<ComponentName, ComponentHealth>>;
}

/** Components without which no message can be handled. */
export const ESSENTIAL: readonly ComponentName[] = ['kafka', 'mongodb'];

export const overallStatus = (components: Readonly<Record<ComponentName, ComponentHealth>>): HealthReport['status'] => {
  const entries = Object.entries(components) as [ComponentName, ComponentHealth][];
  if (entries.some(([name, c]) => ESSENTIAL.includes(name) && c.status === 'down')) return 'down';
  if (entries.some(([, c]) => c.status === 'down' || c.status === 'degraded')) return 'degraded';
  return 'ok';
};

export type ComponentCheck = () => ComponentHealth | Promise<ComponentHealth>;

const describe = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!.slice(0, 200);

/** Settles with the check's answer, or `down` when it throws or takes longer than `timeoutMs`. */
export const runCheck = async (check: ComponentCheck, timeoutMs: number): Promise<ComponentHealth> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<ComponentHealth>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'down', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
      }),
    ]);
  } catch (error) {
    return { status: 'down', detail: describe(error) };
  } finally {
    if (timer) clearTimeout(timer);
  }
};

/** The `health` function of the HTTP server: runs the four checks in parallel, each bounded by `timeoutMs` (default 2000). */
export const createHealthCheck =
  (checks: Readonly<Record<ComponentName, ComponentCheck>>, timeoutMs = 2000): (() => Promise<HealthReport>) =>
  async () => {
    const names = Object.keys(checks) as ComponentName[];
    const results = await Promise.all(names.map((n) => runCheck(checks[n], timeoutMs)));
    const components = Object.fromEntries(names.map((n, i) => [n, results[i]!])) as Record<ComponentName, ComponentHealth>;
    return { status: overallStatus(components), components };
  };

/** MongoDB answers a ping. */
export const mongoCheck =
  (db: Pick<Db, 'command'>): ComponentCheck =>
  async () => {
    await db.command({ ping: 1 });
    return { status: 'up' };
  };

/** Kafka: the consumer has joined its group (e.g. `source.joined`). */
export const kafkaCheck =
  (joined: () => boolean): ComponentCheck =>
  () =>
    joined() ? { status: 'up' } : { status: 'down', detail: 'the consumer is not in its group' };

/** Redis answers a PING (the rule cache's client fails fast when disconnected). */
export const redisCheck =
  (redis: { ping(): Promise<string> }): ComponentCheck =>
  async () => {
    await redis.ping();
    return { status: 'up' };
  };

/**
 * The Configuration Service, judged from the rule lookup's counters without calling it: `disabled`
 * without a URL; `down` when, since the previous check, calls were short-circuited (the breaker is
 * open) or every call made failed; `up` otherwise (including when no call was made).
 */
export const configServiceCheck = (url: string | undefined, stats: () => RuleLookupStats): ComponentCheck => {
  let previous: RuleLookupStats | undefined;
  return () => {
    if (url === undefined || url.trim() === '') return { status: 'disabled', detail: 'CONFIG_SERVICE_URL is not set' };
    const now = stats();
    const before = previous ?? { ...now, http_calls: 0, http_errors: 0, short_circuited: 0 };
    previous = now;
    const calls = now.http_calls - before.http_calls;
    const errors = now.http_errors - before.http_errors;
    if (now.short_circuited > before.short_circuited) return { status: 'down', detail: 'circuit breaker open' };
    if (calls > 0 && errors >= calls) return { status: 'down', detail: `the last ${calls} call(s) failed` };
    return { status: 'up' };
  };
};

/** Ready: the consumer has joined its group and MongoDB answers (Redis and the Configuration Service do not count). */
export const createReadinessCheck =
  (joined: () => boolean, db: Pick<Db, 'command'>, timeoutMs = 2000): (() => Promise<boolean>) =>
  async () => {
    if (!joined()) return false;
    return (await runCheck(mongoCheck(db), timeoutMs)).status === 'up';
  };

/** `/health/live`: `down` only when restarting the process is the remedy. */
export type LivenessReport = { readonly status: 'ok' } | { readonly status: 'down'; readonly reason: string };

/**
 * Live unless the Kafka consumer is dead for good (`deadReason`, e.g. `source.deadReason`): then
 * nothing would consume again in this process, and the orchestrator should restart it.
 */
export const createLivenessCheck =
  (deadReason: () => string | undefined): (() => LivenessReport) =>
  () => {
    const reason = deadReason();
    return reason === undefined ? { status: 'ok' } : { status: 'down', reason };
  };
