import * as E from 'fp-ts/lib/Either.js';
import type { NotificationRule } from '../../domain/notificationRule.js';
import { RULE_CACHE_KEY_PREFIX, decodeRuleCacheEntry, ruleCacheKey, triggerOfKey } from './ruleCache.js';

/**
 * Read and clean the rule cache in Redis, for the ops CLI. Walks keys with SCAN (never KEYS).
 * `pattern` is a Redis glob over the trigger (`*`, `CASE_CREATED_KYB_*`): the key prefix is added here.
 *
 * Evicting or clearing acts on Redis only: a running instance keeps answering from its in-process
 * copy until that copy's freshness ends (at most CONFIG_CACHE_TTL_SECONDS plus jitter).
 */

/** What the inspector needs from a Redis client (ioredis's `Redis` fits). */
export interface RuleCacheInspectorRedis {
  scan(cursor: string, matchToken: 'MATCH', pattern: string, countToken: 'COUNT', count: number): Promise<[cursor: string, keys: string[]]>;
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
  unlink(...keys: string[]): Promise<number>;
}

export interface RuleCacheListing {
  readonly trigger: string;
  /** The cached rule; null when the service said there is none (or when the entry is corrupt). */
  readonly rule: NotificationRule | null;
  readonly fetched_at: string | null;
  readonly fresh_until: string | null;
  /** Seconds before Redis drops the key (freshness plus the stale window); null when it has no expiry. */
  readonly ttl_seconds: number | null;
  /** Past fresh_until: it would be refreshed on the next lookup, and only served if the service fails. */
  readonly stale: boolean;
  /** Why the stored value cannot be used (lookups treat it as a miss); null when it is fine. */
  readonly corrupt: string | null;
}

export interface ScanOptions {
  /** Glob over the trigger (default `*`). */
  readonly pattern?: string;
  /** SCAN COUNT hint (default 200). */
  readonly count?: number;
}

export interface ListOptions extends ScanOptions {
  /** Stop after this many entries (default: no limit). */
  readonly limit?: number;
  /** Clock in epoch milliseconds (default Date.now). */
  readonly now?: () => number;
}

export interface RuleCacheStats {
  readonly count: number;
  readonly fresh: number;
  readonly stale: number;
  readonly corrupt: number;
}

const DEFAULT_SCAN_COUNT = 200;
const UNLINK_CHUNK = 500;

/** Every rule-cache key matching `pattern`, one SCAN page at a time (keys may repeat across pages). */
export async function* scanRuleCacheKeys(redis: RuleCacheInspectorRedis, options: ScanOptions = {}): AsyncGenerator<string[]> {
  const match = `${RULE_CACHE_KEY_PREFIX}${options.pattern ?? '*'}`;
  const count = options.count ?? DEFAULT_SCAN_COUNT;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', count);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

const describe = (trigger: string, raw: string, pttl: number, nowMs: number): RuleCacheListing => {
  const ttl_seconds = pttl >= 0 ? Math.floor(pttl / 1000) : null;
  const decoded = decodeRuleCacheEntry(raw);
  if (E.isLeft(decoded)) {
    return { trigger, rule: null, fetched_at: null, fresh_until: null, ttl_seconds, stale: true, corrupt: decoded.left };
  }
  const entry = decoded.right;
  return {
    trigger,
    rule: entry.rule,
    fetched_at: entry.fetched_at,
    fresh_until: entry.fresh_until,
    ttl_seconds,
    stale: nowMs >= entry.freshUntilMs,
    corrupt: null,
  };
};

const readListing = async (redis: RuleCacheInspectorRedis, trigger: string, nowMs: number): Promise<RuleCacheListing | null> => {
  const key = ruleCacheKey(trigger);
  const [raw, pttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
  return raw === null ? null : describe(trigger, raw, pttl, nowMs);
};

/** One trigger's entry, or null when nothing is cached for it. */
export const getEntry = async (
  redis: RuleCacheInspectorRedis,
  trigger: string,
  options: { readonly now?: () => number } = {},
): Promise<RuleCacheListing | null> => readListing(redis, trigger, (options.now ?? Date.now)());

/** The entries whose trigger matches `pattern`, sorted by trigger. */
export const listEntries = async (redis: RuleCacheInspectorRedis, options: ListOptions = {}): Promise<RuleCacheListing[]> => {
  const nowMs = (options.now ?? Date.now)();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  const listings: RuleCacheListing[] = [];
  for await (const keys of scanRuleCacheKeys(redis, options)) {
    const fresh = keys.filter((key) => !seen.has(key));
    fresh.forEach((key) => seen.add(key));
    const page = await Promise.all(
      fresh.map((key) => {
        const trigger = triggerOfKey(key);
        return trigger === undefined ? null : readListing(redis, trigger, nowMs);
      }),
    );
    for (const listing of page) {
      if (listing !== null && listings.length < limit) listings.push(listing);
    }
    if (listings.length >= limit) break;
  }
  return listings.sort((a, b) => (a.trigger < b.trigger ? -1 : a.trigger > b.trigger ? 1 : 0));
};

/** Removes one trigger's entry; true when there was one. */
export const evict = async (redis: RuleCacheInspectorRedis, trigger: string): Promise<boolean> =>
  (await redis.unlink(ruleCacheKey(trigger))) > 0;

/** Removes every entry whose trigger matches `pattern` (default all), page by page; returns how many. */
export const clear = async (redis: RuleCacheInspectorRedis, options: ScanOptions = {}): Promise<number> => {
  let removed = 0;
  for await (const keys of scanRuleCacheKeys(redis, options)) {
    for (let i = 0; i < keys.length; i += UNLINK_CHUNK) removed += await redis.unlink(...keys.slice(i, i + UNLINK_CHUNK));
  }
  return removed;
};

/** How many entries there are, and how many are fresh, stale and corrupt. */
export const stats = async (
  redis: RuleCacheInspectorRedis,
  options: ScanOptions & { readonly now?: () => number } = {},
): Promise<RuleCacheStats> => {
  const listings = await listEntries(redis, options);
  const corrupt = listings.filter((l) => l.corrupt !== null).length;
  const fresh = listings.filter((l) => !l.stale).length;
  return { count: listings.length, fresh, stale: listings.length - fresh - corrupt, corrupt };
};
