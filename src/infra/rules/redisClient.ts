import { Redis, type RedisOptions } from 'ioredis';
import { describeError } from '../../lib/errors.js';
import { noopRuleLogger, type RuleLogger } from './logger.js';

/**
 * An ioredis client for the rule cache that fails fast when Redis is down instead of queueing
 * commands: a lookup then goes straight to the Configuration Service. It keeps reconnecting in the
 * background, and commands work again as soon as the connection is ready.
 */

export const RULE_CACHE_REDIS_OPTIONS = {
  /** Commands issued while not connected fail at once instead of waiting for a connection. */
  enableOfflineQueue: false,
  /** A command caught by a connection loss is retried once at most. */
  maxRetriesPerRequest: 1,
  /** Give up a connection attempt after 1 s (then retry in the background). */
  connectTimeout: 1000,
  /** A command without a reply in 500 ms fails (a hung Redis must not hold lookups). */
  commandTimeout: 500,
  /**
   * A socket that stays silent for 2 s while replies are pending is destroyed and reconnected, so a
   * hung Redis turns into a disconnected one (whose commands fail at once) instead of costing every
   * lookup a command timeout.
   */
  socketTimeout: 2000,
  /** Reconnect forever: 100 ms, 200 ms, … capped at 2 s. */
  retryStrategy: (times: number): number => Math.min(times * 100, 2000),
} as const satisfies RedisOptions;

export interface RedisClientOptions {
  readonly logger?: RuleLogger;
  /** Shown in `CLIENT LIST`. */
  readonly connectionName?: string;
  /** Overrides of the fail-fast options (tests). */
  readonly overrides?: RedisOptions;
}

/**
 * Connects to `url` (e.g. `redis://127.0.0.1:6379/0`) with the fail-fast options. Connection errors
 * are logged when an outage starts and when it ends, not on every reconnection attempt.
 * Close with `quit()` (or `disconnect()` when Redis may be down).
 */
export const createRedisClient = (url: string, options: RedisClientOptions = {}): Redis => {
  const logger = options.logger ?? noopRuleLogger;
  const redis = new Redis(url, {
    ...RULE_CACHE_REDIS_OPTIONS,
    connectionName: options.connectionName ?? 'casestream-rule-cache',
    ...options.overrides,
  });
  let failing = false;
  redis.on('error', (err: unknown) => {
    if (!failing) {
      failing = true;
      logger.warn({ reason: describeError(err) }, 'redis: connection failed, retrying in the background');
    } else logger.debug({ reason: describeError(err) }, 'redis: still failing');
  });
  redis.on('ready', () => {
    if (failing) logger.info({}, 'redis: connected again');
    failing = false;
  });
  return redis;
};
