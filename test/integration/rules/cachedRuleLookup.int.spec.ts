import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { createCachedRuleLookup, type CachedRuleLookupOptions } from '../../../src/infra/rules/cachedRuleLookup.js';
import { createRedisClient } from '../../../src/infra/rules/redisClient.js';
import { ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import type { RuleAnswer } from '../../../src/streams/ports.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { RedisProxy, cleanUp, connectedRedis, readyAgain, rule, sleep, uniquePrefix } from './support.js';

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const context = (case_id = 'case-it-1') => ({ case_id, client_id: 'client-it', traitement_type: 'KYC', case_type: 'STANDARD' });

/** An answer without the time the service gave it, which the real clock decides. */
const timeless = (a: RuleAnswer) => {
  if (a.kind !== 'rule') return a;
  const { fetched_at: _time, ...rest } = a;
  return rest;
};
/** A rule the service answered for this lookup, as `timeless` shows it. */
const fresh = (found: ReturnType<typeof rule>) => ({ kind: 'rule', rule: found, source: 'fresh', layer: null });

describe('cached rule lookup against Redis and the Configuration Service stub', () => {
  let redis: Redis;
  let stub: ConfigServiceStub;
  let prefix: string;
  let T: { active: string; inactiveOnly: string; none: string; priority: string };

  before(async () => {
    redis = await connectedRedis();
    stub = await startConfigServiceStub({ port: 0, rules: {} });
  });

  after(async () => {
    await stub?.close();
    await redis?.quit();
  });

  beforeEach(() => {
    prefix = uniquePrefix();
    T = { active: `${prefix}ACTIVE`, inactiveOnly: `${prefix}INACTIVE`, none: `${prefix}NONE`, priority: `${prefix}PRIORITY` };
    stub.reset();
    stub.setRules({
      [T.active]: [rule('ACTIVE_RULE')],
      [T.inactiveOnly]: [rule('OFF_1', false), rule('OFF_2', false)],
      [T.priority]: [{ rule_id: 'BROKEN', is_active: 'yes' }, rule('OFF', false), rule('FIRST_ACTIVE'), rule('SECOND_ACTIVE')],
    });
  });

  afterEach(async () => {
    await cleanUp(redis, prefix);
  });

  const lookupWith = (patch: Partial<CachedRuleLookupOptions> = {}) =>
    createCachedRuleLookup({ url: stub.url, timeoutMs: 300, redis, circuitBreaker: false, ...patch });
  const ask = (lookup: ReturnType<typeof lookupWith>, trigger: string, case_id?: string) =>
    firstValueFrom(lookup.ruleFor(trigger, context(case_id)));
  const stored = async (trigger: string) => {
    const raw = await redis.get(ruleCacheKey(trigger));
    return raw === null ? null : (JSON.parse(raw) as { rule: unknown; fetched_at: string; fresh_until: string });
  };

  it('answers a matching active rule and caches it with its freshness and a longer Redis TTL', async () => {
    const lookup = lookupWith();
    const before = Date.now();
    expect(timeless(await ask(lookup, T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
    const entry = await stored(T.active);
    expect(entry?.rule).to.deep.equal(rule('ACTIVE_RULE'));
    const fetchedAt = Date.parse(entry?.fetched_at ?? '');
    const freshFor = Date.parse(entry?.fresh_until ?? '') - fetchedAt;
    expect(fetchedAt).to.be.within(before, Date.now());
    expect(freshFor).to.be.within(270 * SECOND, 330 * SECOND);
    const pttl = await redis.pttl(ruleCacheKey(T.active));
    expect(pttl).to.be.within(freshFor + DAY - 5 * SECOND, freshFor + DAY);
    expect(stub.state().requests).to.equal(1);
  });

  it('picks the first valid active rule in priority order, skipping malformed and inactive ones', async () => {
    expect(timeless(await ask(lookupWith(), T.priority))).to.deep.equal(fresh(rule('FIRST_ACTIVE')));
  });

  it('answers no-rule when only inactive rules match', async () => {
    expect(await ask(lookupWith(), T.inactiveOnly)).to.deep.equal({ kind: 'no-rule' });
  });

  it('answers no-rule when nothing matches and caches that with the negative TTL, visible in Redis', async () => {
    const lookup = lookupWith({ ttlSeconds: 300, negativeTtlSeconds: 60 });
    expect(await ask(lookup, T.none)).to.deep.equal({ kind: 'no-rule' });
    const entry = await stored(T.none);
    expect(entry?.rule).to.equal(null);
    const freshFor = Date.parse(entry?.fresh_until ?? '') - Date.parse(entry?.fetched_at ?? '');
    expect(freshFor).to.be.within(54 * SECOND, 66 * SECOND);
    const ttl = await redis.ttl(ruleCacheKey(T.none));
    expect(ttl).to.be.within(54 + 86_400 - 5, 66 + 86_400);

    // Another instance (empty in-process layer) answers from Redis without asking the service.
    const other = lookupWith();
    expect(await ask(other, T.none)).to.deep.equal({ kind: 'no-rule' });
    expect(stub.state().requests).to.equal(1);
    expect(other.stats()).to.include({ hits: 1, http_calls: 0 });
  });

  it('accepts a single rule object instead of an array', async () => {
    stub.setMode('single-object');
    expect(timeless(await ask(lookupWith(), T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
  });

  it('answers unavailable on a 5xx and caches nothing', async () => {
    stub.setMode({ mode: 'error', status: 503 });
    const lookup = lookupWith();
    expect(await ask(lookup, T.active)).to.deep.equal({ kind: 'unavailable', reason: 'the service answered HTTP 503' });
    expect(await redis.exists(ruleCacheKey(T.active))).to.equal(0);
    expect(lookup.stats()).to.include({ http_errors: 1, errors: 1 });

    stub.setMode('normal');
    expect(timeless(await ask(lookup, T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
    expect(stub.state().requests).to.equal(2);
  });

  it('answers unavailable when the service does not answer within the timeout', async () => {
    stub.setMode('timeout');
    const started = Date.now();
    const answer = await ask(lookupWith({ timeoutMs: 300 }), T.active);
    const elapsed = Date.now() - started;
    expect(answer).to.deep.equal({ kind: 'unavailable', reason: 'no answer within 300 ms' });
    expect(elapsed).to.be.within(250, 1500);
    expect(await redis.exists(ruleCacheKey(T.active))).to.equal(0);
  });

  it('answers unavailable on a body that is not JSON', async () => {
    stub.setMode('malformed');
    expect(await ask(lookupWith(), T.active)).to.deep.equal({ kind: 'unavailable', reason: 'the answer is not valid JSON' });
    expect(await redis.exists(ruleCacheKey(T.active))).to.equal(0);
  });

  it('answers unavailable when nothing listens at the URL', async () => {
    const lookup = lookupWith({ url: 'http://127.0.0.1:9' });
    const answer = await ask(lookup, T.active);
    expect(answer.kind).to.equal('unavailable');
  });

  it('serves the expired entry when the service fails (stale-if-error), and refreshes it when the service is back', async () => {
    await ask(lookupWith(), T.active);
    const original = await stored(T.active);

    // An instance whose clock is 10 minutes ahead: the entry is stale for it.
    const later = () => Date.now() + 600 * SECOND;
    stub.setMode({ mode: 'error', status: 500 });
    const stale = lookupWith({ now: later });
    expect(await ask(stale, T.active)).to.deep.equal({
      kind: 'rule',
      rule: rule('ACTIVE_RULE'),
      source: 'stale',
      layer: 'redis',
      fetched_at: original?.fetched_at,
    });
    expect(stale.stats()).to.include({ stale_served: 1, http_calls: 1, http_errors: 1 });
    expect(await stored(T.active)).to.deep.equal(original);

    stub.setMode('normal');
    stub.setRules({ [T.active]: [rule('CHANGED_RULE')] });
    const refreshed = lookupWith({ now: later });
    expect(timeless(await ask(refreshed, T.active))).to.deep.equal(fresh(rule('CHANGED_RULE')));
    expect((await stored(T.active))?.rule).to.deep.equal(rule('CHANGED_RULE'));
  });

  it('makes one HTTP request for concurrent lookups of one trigger', async () => {
    stub.setMode({ mode: 'slow', delay_ms: 200 });
    const lookup = lookupWith({ timeoutMs: 2000 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(lookup, T.active, `case-${i}`)));
    expect(answers.every((a) => a.kind === 'rule')).to.equal(true);
    expect(stub.state().requests).to.equal(1);
    expect(lookup.stats()).to.include({ http_calls: 1 });
  });

  it('treats a corrupt Redis value as a miss and overwrites it', async () => {
    await redis.set(ruleCacheKey(T.active), '{"rule": "nonsense"}', 'PX', 60_000);
    const lookup = lookupWith();
    expect(timeless(await ask(lookup, T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
    expect((await stored(T.active))?.rule).to.deep.equal(rule('ACTIVE_RULE'));
    expect(lookup.stats().corrupt_entries).to.equal(1);
  });

  it('stops calling a failing service once the circuit opens', async () => {
    stub.setMode({ mode: 'error', status: 502 });
    const lookup = lookupWith({ circuitBreaker: { failureThreshold: 2, openSeconds: 60 } });
    for (const t of [T.active, T.none, T.priority, T.inactiveOnly]) expect((await ask(lookup, t)).kind).to.equal('unavailable');
    expect(stub.state().requests).to.equal(2);
    expect(lookup.stats()).to.include({ short_circuited: 2 });
  });

  it('makes no request at all when CONFIG_SERVICE_URL is unset', async () => {
    expect(await ask(lookupWith({ url: undefined }), T.active)).to.deep.equal({ kind: 'no-rule' });
    expect(stub.state().requests).to.equal(0);
  });

  describe('when Redis is down', () => {
    let down: Redis;

    before(() => {
      // Nothing listens there: the client keeps reconnecting in the background.
      down = createRedisClient('redis://127.0.0.1:6390');
    });

    after(() => {
      down.disconnect();
    });

    it('still answers from the service, quickly', async () => {
      const lookup = lookupWith({ redis: down });
      const started = Date.now();
      const answers = await Promise.all([ask(lookup, T.active), ask(lookup, T.none), ask(lookup, T.inactiveOnly)]);
      const elapsed = Date.now() - started;
      expect(answers.map(timeless)).to.deep.equal([fresh(rule('ACTIVE_RULE')), { kind: 'no-rule' }, { kind: 'no-rule' }]);
      expect(elapsed).to.be.below(750);
      expect(lookup.stats().redis_errors).to.be.at.least(3);
      expect(stub.state().requests).to.equal(3);
    });

    it('still answers quickly after the client has been retrying for a while', async () => {
      await sleep(1500);
      const lookup = lookupWith({ redis: down });
      const started = Date.now();
      expect(timeless(await ask(lookup, T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
      expect(Date.now() - started).to.be.below(750);
    });

    it('answers unavailable quickly when the service fails too and nothing is cached in process', async () => {
      stub.setMode({ mode: 'error', status: 503 });
      const started = Date.now();
      expect((await ask(lookupWith({ redis: down }), T.active)).kind).to.equal('unavailable');
      expect(Date.now() - started).to.be.below(750);
    });
  });

  describe('when Redis fails while connected', () => {
    let proxy: RedisProxy;
    let viaProxy: Redis;

    beforeEach(async () => {
      proxy = new RedisProxy();
      await proxy.start();
      viaProxy = await connectedRedis(proxy.url);
    });

    afterEach(async () => {
      viaProxy.disconnect();
      await proxy.stop();
    });

    it('goes to the service while Redis is gone and uses the cache again once it reconnects', async () => {
      const lookup = lookupWith({ redis: viaProxy });
      expect(timeless(await ask(lookup, T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
      expect(await redis.exists(ruleCacheKey(T.active))).to.equal(1);

      await proxy.stop();
      lookup.forgetLocal();
      await cleanUp(redis, prefix);
      const started = Date.now();
      expect(timeless(await ask(lookup, T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
      expect(Date.now() - started).to.be.below(750);
      expect(lookup.stats().redis_errors).to.be.at.least(1);
      expect(stub.state().requests).to.equal(2);

      await proxy.start(); // same port: the client reconnects by itself
      await readyAgain(viaProxy);
      lookup.forgetLocal();
      const errorsBefore = lookup.stats().redis_errors;
      expect(await ask(lookup, T.none)).to.deep.equal({ kind: 'no-rule' });
      expect(lookup.stats().redis_errors).to.equal(errorsBefore);
      expect((await stored(T.none))?.rule).to.equal(null);
    });

    it('gives up on a hung Redis after the command timeout and answers from the service', async () => {
      const lookup = lookupWith({ redis: viaProxy });
      proxy.blackhole = true;
      const started = Date.now();
      expect(timeless(await ask(lookup, T.active))).to.deep.equal(fresh(rule('ACTIVE_RULE')));
      // The read is bounded by commandTimeout (500 ms); no write is tried after a failed read.
      expect(Date.now() - started).to.be.within(400, 1500);
      expect(lookup.stats().redis_errors).to.equal(1);

      // After socketTimeout (2 s) the silent connection is dropped: lookups no longer wait for it.
      await sleep(2500);
      expect(viaProxy.status).not.to.equal('ready');
      lookup.forgetLocal();
      const again = Date.now();
      expect(await ask(lookup, T.none)).to.deep.equal({ kind: 'no-rule' });
      expect(Date.now() - again).to.be.below(400);
    });
  });
});
