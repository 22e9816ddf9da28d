import { trace } from '@opentelemetry/api';
import { defer, from, of, type Observable } from 'rxjs';
import type { NotificationRule, RuleSource } from '../../domain/notificationRule.js';
import type { RuleAnswer, RuleLookup } from '../../streams/ports.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuitBreaker.js';
import { createConfigServiceClient, type ConfigServiceClient, type ConfigServiceResult } from './configServiceClient.js';
import { LruMap } from '../../lib/lruMap.js';
import { describeError } from '../../lib/errors.js';
import { caseIdOf, noopRuleLogger, type RuleLogger } from './logger.js';
import { newRuleCacheEntry, readRuleCacheEntry, writeRuleCacheEntry, type RuleCacheEntry, type RuleCacheRedis } from './ruleCache.js';
import { RULE_CIRCUIT } from '../../streams/tracing/semconv.js';

/**
 * `RuleLookup` backed by the Configuration Service, with two cache layers in front of it:
 *
 *   in-process LRU (fresh entries only are answered from it)
 *     → Redis `casestream:rule:<trigger>` (shared by every instance)
 *       → `POST {url}/rules/match`
 *
 * - A found rule stays fresh `ttlSeconds`, "no rule" `negativeTtlSeconds`, each ±`jitter`.
 * - The Redis key outlives freshness by `staleTtlSeconds`: when the service fails, an expired entry
 *   is answered (stale-if-error). Errors are never cached.
 * - Concurrent lookups of one trigger share one Redis read and one HTTP call (single-flight). The
 *   cache is keyed by trigger, so the context of the first caller is the one sent to the service.
 * - Redis failing (down, not connected, slow) only means going to the service: the cache never
 *   fails or blocks a lookup. When Redis is unreachable the in-process copy serves stale-if-error.
 * - A circuit breaker stops calling a failing service for a while (stale or `unavailable` meanwhile).
 * - Every lookup answers; none errors: `unavailable` is the answer when the service failed and
 *   nothing was cached.
 */

export const DEFAULT_RULE_TTL_SECONDS = 300;
export const DEFAULT_RULE_NEGATIVE_TTL_SECONDS = 60;
export const DEFAULT_RULE_STALE_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_RULE_TTL_JITTER = 0.1;
export const DEFAULT_RULE_MEMORY_ENTRIES = 10_000;

export interface CachedRuleLookupOptions {
  /** CONFIG_SERVICE_URL; undefined (or empty): no lookup at all, every answer is `no-rule`. */
  readonly url: string | undefined;
  /** DEFAULT_HTTP_TIMEOUT, in milliseconds. */
  readonly timeoutMs: number;
  /** The Redis client (see `createRedisClient`); null to run with the in-process layer only. */
  readonly redis: RuleCacheRedis | null;
  /** CONFIG_CACHE_TTL_SECONDS: freshness of a found rule (default 300). */
  readonly ttlSeconds?: number;
  /** CONFIG_CACHE_NEGATIVE_TTL_SECONDS: freshness of "no rule" (default 60). */
  readonly negativeTtlSeconds?: number;
  /** How long an expired entry stays in Redis to be served when the service fails (default 24 h; 0 = never stale). */
  readonly staleTtlSeconds?: number;
  /** Relative spread of freshness, e.g. 0.1 = ±10% (default 0.1). */
  readonly jitter?: number;
  /** Size of the in-process layer, in triggers (default 10 000). */
  readonly memoryMaxEntries?: number;
  /** The circuit breaker in front of the service (default 5 failures in a row → open 30 s); false to disable. */
  readonly circuitBreaker?: Omit<CircuitBreakerOptions, 'now'> | false;
  /** Clock in epoch milliseconds (default Date.now). */
  readonly now?: () => number;
  /** Random numbers in [0, 1) for the jitter (default Math.random). */
  readonly random?: () => number;
  readonly logger?: RuleLogger;
  /** Replaces the HTTP client (tests). */
  readonly client?: ConfigServiceClient;
}

export interface RuleLookupStats {
  /** Lookups answered from a fresh entry (in-process or Redis). */
  readonly hits: number;
  /** Lookups that found no fresh entry and asked the service (or would have, with the circuit open). */
  readonly misses: number;
  /** Lookups answered from an expired entry because the service failed. */
  readonly stale_served: number;
  /** Lookups answered `unavailable`. */
  readonly errors: number;
  /** HTTP calls made to the service. */
  readonly http_calls: number;
  /** HTTP calls that failed (non-2xx, network, timeout, unparsable answer). */
  readonly http_errors: number;
  /** Redis reads or writes that failed. */
  readonly redis_errors: number;
  /** Calls not made because the circuit was open. */
  readonly short_circuited: number;
  /** Redis values that did not decode (treated as misses). */
  readonly corrupt_entries: number;
}

export interface CachedRuleLookup extends RuleLookup {
  stats(): RuleLookupStats;
  /** Drops the in-process copies (all, or one trigger's); Redis is left alone. */
  forgetLocal(trigger?: string): void;
}

type Counters = { -readonly [K in keyof RuleLookupStats]: number };

const NO_RULE: RuleAnswer = { kind: 'no-rule' };

type CacheLayer = 'memory' | 'redis';

/** The answer an entry gives, saying where it came from (`layer`: the cache layer that held it, null when fresh). */
const answerOf = (entry: RuleCacheEntry, source: RuleSource, layer: CacheLayer | null): RuleAnswer =>
  entry.rule === null ? NO_RULE : { kind: 'rule', rule: entry.rule, source, layer, fetched_at: entry.fetched_at };

const nonNegative = (name: string, value: number): number => {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return value;
};

export const createCachedRuleLookup = (options: CachedRuleLookupOptions): CachedRuleLookup => {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? noopRuleLogger;
  const redis = options.redis;
  const ttlMs = nonNegative('ttlSeconds', options.ttlSeconds ?? DEFAULT_RULE_TTL_SECONDS) * 1000;
  const negativeTtlMs = nonNegative('negativeTtlSeconds', options.negativeTtlSeconds ?? DEFAULT_RULE_NEGATIVE_TTL_SECONDS) * 1000;
  const staleMs = nonNegative('staleTtlSeconds', options.staleTtlSeconds ?? DEFAULT_RULE_STALE_TTL_SECONDS) * 1000;
  const jitter = nonNegative('jitter', options.jitter ?? DEFAULT_RULE_TTL_JITTER);
  if (jitter >= 1) throw new RangeError(`jitter must be below 1, got ${jitter}`);

  const url = options.url === undefined || options.url.trim() === '' ? undefined : options.url;
  const client: ConfigServiceClient | undefined =
    url === undefined ? undefined : (options.client ?? createConfigServiceClient({ url, timeoutMs: options.timeoutMs }));
  if (client === undefined) logger.warn({}, 'CONFIG_SERVICE_URL is not set: no notification rule will ever apply');

  const breaker = options.circuitBreaker === false ? null : new CircuitBreaker({ ...(options.circuitBreaker ?? {}), now });
  const memory = new LruMap<string, RuleCacheEntry>(options.memoryMaxEntries ?? DEFAULT_RULE_MEMORY_ENTRIES);
  const inflight = new Map<string, Promise<RuleAnswer>>();
  const counters: Counters = {
    hits: 0,
    misses: 0,
    stale_served: 0,
    errors: 0,
    http_calls: 0,
    http_errors: 0,
    redis_errors: 0,
    short_circuited: 0,
    corrupt_entries: 0,
  };

  // Redis outages are logged when they start and end, not once per lookup.
  let redisHealthy = true;
  const redisFailed = (trigger: string, operation: string, reason: string): void => {
    counters.redis_errors += 1;
    if (redisHealthy) {
      redisHealthy = false;
      logger.warn({ trigger, operation, reason }, 'rule cache: Redis failed, looking rules up without it');
    } else logger.debug({ trigger, operation, reason }, 'rule cache: Redis still failing');
  };
  const redisWorked = (): void => {
    if (!redisHealthy) {
      redisHealthy = true;
      logger.info({}, 'rule cache: Redis answers again');
    }
  };

  const freshMsFor = (rule: NotificationRule | null): number => {
    const base = rule === null ? negativeTtlMs : ttlMs;
    return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
  };

  /** Asks the service through the breaker; counts and logs the outcome. */
  const ask = async (
    trigger: string,
    context: Readonly<Record<string, unknown>>,
    api: ConfigServiceClient,
  ): Promise<
    { readonly kind: 'answered'; readonly rule: NotificationRule | null } | { readonly kind: 'failed'; readonly reason: string }
  > => {
    const case_id = caseIdOf(context);
    if (breaker !== null && !breaker.tryAcquire()) {
      counters.short_circuited += 1;
      logger.debug({ trigger, case_id }, 'rule lookup: circuit open, Configuration Service not called');
      return { kind: 'failed', reason: 'circuit open after repeated Configuration Service failures' };
    }
    counters.http_calls += 1;
    let result: ConfigServiceResult;
    try {
      result = await api.matchRule(trigger, context);
    } catch (err) {
      // The client never rejects; a replacement (tests) might.
      result = { kind: 'failed', failure: 'network', reason: describeError(err) };
    }
    if (result.kind === 'failed') {
      counters.http_errors += 1;
      const opened = breaker?.failure() ?? false;
      logger.warn(
        { trigger, case_id, failure: result.failure, status: result.status, reason: result.reason },
        'rule lookup: Configuration Service failed',
      );
      if (opened) logger.error({ trigger }, 'rule lookup: circuit opened, the Configuration Service will not be called for a while');
    } else {
      breaker?.success();
      if (result.skipped.length > 0) {
        logger.warn(
          { trigger, case_id, skipped: result.skipped.map((s) => ({ index: s.index, errors: s.errors })) },
          'rule lookup: malformed rules skipped in the Configuration Service answer',
        );
      }
    }
    return result;
  };

  const resolve = async (trigger: string, context: Readonly<Record<string, unknown>>, api: ConfigServiceClient): Promise<RuleAnswer> => {
    // Redis is the shared truth when it answers; the in-process copy stands in only when it does not.
    let known: RuleCacheEntry | undefined;
    let knownIn: CacheLayer = 'memory';
    let redisUsable = redis !== null;
    if (redis === null) known = memory.get(trigger);
    else {
      const read = await readRuleCacheEntry(redis, trigger);
      switch (read.kind) {
        case 'hit':
          redisWorked();
          known = read.entry;
          knownIn = 'redis';
          break;
        case 'miss':
          redisWorked();
          memory.delete(trigger);
          break;
        case 'corrupt':
          redisWorked();
          counters.corrupt_entries += 1;
          memory.delete(trigger);
          logger.warn({ trigger, reason: read.reason }, 'rule cache: corrupt entry ignored');
          break;
        case 'error':
          redisFailed(trigger, 'read', read.reason);
          redisUsable = false; // it just failed: do not wait for it a second time in this lookup
          known = memory.get(trigger);
          break;
      }
    }

    if (known !== undefined && now() < known.freshUntilMs) {
      counters.hits += 1;
      memory.set(trigger, known);
      return answerOf(known, 'cache', knownIn);
    }
    counters.misses += 1;

    const result = await ask(trigger, context, api);
    if (result.kind === 'answered') {
      const fetchedAt = now();
      const entry = newRuleCacheEntry(result.rule, fetchedAt, freshMsFor(result.rule));
      memory.set(trigger, entry);
      if (redis !== null && redisUsable) {
        const failed = await writeRuleCacheEntry(redis, trigger, entry, entry.freshUntilMs - fetchedAt + staleMs);
        if (failed === null) redisWorked();
        else redisFailed(trigger, 'write', failed);
      }
      return answerOf(entry, 'fresh', null);
    }

    if (known !== undefined && now() < known.freshUntilMs + staleMs) {
      counters.stale_served += 1;
      logger.info(
        { trigger, case_id: caseIdOf(context), fetched_at: known.fetched_at, fresh_until: known.fresh_until },
        'rule lookup: serving an expired cached answer because the Configuration Service failed',
      );
      return answerOf(known, 'stale', knownIn);
    }
    counters.errors += 1;
    return { kind: 'unavailable', reason: result.reason };
  };

  /** Single-flight: one resolution per trigger at a time, shared by every concurrent caller. */
  const shared = (trigger: string, context: Readonly<Record<string, unknown>>, api: ConfigServiceClient): Promise<RuleAnswer> => {
    const pending = inflight.get(trigger);
    if (pending !== undefined) return pending;
    const started = resolve(trigger, context, api)
      .catch((err: unknown): RuleAnswer => {
        counters.errors += 1;
        logger.error({ trigger, reason: describeError(err) }, 'rule lookup: unexpected failure');
        return { kind: 'unavailable', reason: `rule lookup failed: ${describeError(err)}` };
      })
      .finally(() => inflight.delete(trigger));
    inflight.set(trigger, started);
    return started;
  };

  const ruleFor = (trigger: string, context: Readonly<Record<string, unknown>>): Observable<RuleAnswer> =>
    defer(() => {
      if (client === undefined) return of(NO_RULE);
      // The lookup's span (the pipeline's, active here) tells whether the service could be called at all.
      const span = trace.getActiveSpan();
      if (span?.isRecording()) span.setAttribute(RULE_CIRCUIT, breaker?.current() ?? 'disabled');
      const local = memory.get(trigger);
      if (local !== undefined && now() < local.freshUntilMs) {
        counters.hits += 1;
        return of(answerOf(local, 'cache', 'memory'));
      }
      return from(shared(trigger, context, client));
    });

  return {
    ruleFor,
    stats: () => ({ ...counters }),
    forgetLocal: (trigger) => (trigger === undefined ? memory.clear() : void memory.delete(trigger)),
  };
};
