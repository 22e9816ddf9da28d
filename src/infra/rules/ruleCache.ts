import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { fieldErrors, objectOf } from '../../domain/codecs.js';
import { notificationRuleCodec, type NotificationRule } from '../../domain/notificationRule.js';
import { describeError } from '../../lib/errors.js';

/**
 * The Redis side of the rule cache: one key per trigger, `casestream:rule:<trigger>`, holding a JSON
 * envelope `{rule, fetched_at, fresh_until}` (rule null = the service said there is none). The key
 * lives longer than its freshness so that an expired answer can still be served when the service
 * fails. A value that does not decode is reported as corrupt and never trusted.
 *
 * Keys are built here and only here: ioredis's `keyPrefix` is not applied to SCAN patterns.
 */

export const RULE_CACHE_KEY_PREFIX = 'casestream:rule:';

export const ruleCacheKey = (trigger: string): string => `${RULE_CACHE_KEY_PREFIX}${trigger}`;

/** The trigger of a rule-cache key, or undefined when the key is not one. */
export const triggerOfKey = (key: string): string | undefined =>
  key.startsWith(RULE_CACHE_KEY_PREFIX) ? key.slice(RULE_CACHE_KEY_PREFIX.length) : undefined;

/** The stored JSON, as written by `encodeRuleCacheEntry`. */
export interface RuleCacheEnvelope {
  readonly rule: NotificationRule | null;
  readonly fetched_at: string;
  readonly fresh_until: string;
}

/** An envelope with its times parsed. */
export interface RuleCacheEntry extends RuleCacheEnvelope {
  readonly fetchedAtMs: number;
  readonly freshUntilMs: number;
}

const isoTimestamp = new t.Type<string, string, unknown>(
  'an ISO-8601 timestamp',
  (u): u is string => typeof u === 'string' && !Number.isNaN(Date.parse(u)),
  (u, c) =>
    typeof u === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(u) && !Number.isNaN(Date.parse(u))
      ? t.success(u)
      : t.failure(u, c, 'must be an ISO-8601 timestamp'),
  t.identity,
);

/** null, or an active rule: the cache never holds an inactive rule, so one there is corrupt. */
const cachedRule = new t.Type<NotificationRule | null, unknown, unknown>(
  'null or an active notification rule',
  (u): u is NotificationRule | null => u === null || (notificationRuleCodec.is(u) && u.is_active),
  (u, c) => {
    if (u === null) return t.success(null);
    if (u === undefined) return t.failure(u, c, 'is required (null when there is no rule)');
    return pipe(
      notificationRuleCodec.validate(u, c),
      E.chain((rule) => (rule.is_active ? t.success(rule) : t.failure(u, c, 'must be an active rule'))),
    );
  },
  t.identity,
);

export const ruleCacheEnvelopeCodec = objectOf('rule cache entry', {
  rule: cachedRule,
  fetched_at: isoTimestamp,
  fresh_until: isoTimestamp,
});

/** Decodes a stored value; Left says why it cannot be trusted. */
export const decodeRuleCacheEntry = (raw: string): E.Either<string, RuleCacheEntry> => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return E.left('the value is not valid JSON');
  }
  return pipe(
    ruleCacheEnvelopeCodec.decode(json),
    E.mapLeft((errors) =>
      fieldErrors(errors)
        .map((e) => `${e.path} ${e.rule}`)
        .join('; '),
    ),
    E.map((envelope) => ({
      rule: envelope.rule,
      fetched_at: envelope.fetched_at,
      fresh_until: envelope.fresh_until,
      fetchedAtMs: Date.parse(envelope.fetched_at),
      freshUntilMs: Date.parse(envelope.fresh_until),
    })),
  );
};

export const encodeRuleCacheEntry = (entry: RuleCacheEnvelope): string =>
  JSON.stringify({ rule: entry.rule, fetched_at: entry.fetched_at, fresh_until: entry.fresh_until });

/** A cache entry for an answer fetched at `fetchedAtMs` that stays fresh for `freshMs`. */
export const newRuleCacheEntry = (rule: NotificationRule | null, fetchedAtMs: number, freshMs: number): RuleCacheEntry => {
  const freshUntilMs = fetchedAtMs + freshMs;
  return {
    rule,
    fetched_at: new Date(fetchedAtMs).toISOString(),
    fresh_until: new Date(freshUntilMs).toISOString(),
    fetchedAtMs,
    freshUntilMs,
  };
};

/** What the rule cache needs from a Redis client (ioredis's `Redis` fits). */
export interface RuleCacheRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number): Promise<unknown>;
}

export type RuleCacheRead =
  | { readonly kind: 'hit'; readonly entry: RuleCacheEntry }
  | { readonly kind: 'miss' }
  /** A value is stored but cannot be trusted: treated as a miss. */
  | { readonly kind: 'corrupt'; readonly reason: string }
  /** Redis failed (down, not connected, timed out). */
  | { readonly kind: 'error'; readonly reason: string };

/** Reads one trigger's entry; never rejects. */
export const readRuleCacheEntry = async (redis: RuleCacheRedis, trigger: string): Promise<RuleCacheRead> => {
  let raw: string | null;
  try {
    raw = await redis.get(ruleCacheKey(trigger));
  } catch (err) {
    return { kind: 'error', reason: describeError(err) };
  }
  if (raw === null) return { kind: 'miss' };
  const decoded = decodeRuleCacheEntry(raw);
  return E.isLeft(decoded) ? { kind: 'corrupt', reason: decoded.left } : { kind: 'hit', entry: decoded.right };
};

/**
 * Stores one trigger's entry with a Redis TTL of `keyTtlMs` (freshness plus the stale window).
 * Resolves to null when written, or to the reason it was not; never rejects.
 */
export const writeRuleCacheEntry = async (
  redis: RuleCacheRedis,
  trigger: string,
  entry: RuleCacheEnvelope,
  keyTtlMs: number,
): Promise<string | null> => {
  try {
    await redis.set(ruleCacheKey(trigger), encodeRuleCacheEntry(entry), 'PX', Math.max(1, Math.round(keyTtlMs)));
    return null;
  } catch (err) {
    return describeError(err);
  }
};
