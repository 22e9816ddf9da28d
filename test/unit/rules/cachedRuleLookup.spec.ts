import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import type { NotificationRule, RuleSource } from '../../../src/domain/notificationRule.js';
import type { RuleAnswer } from '../../../src/streams/ports.js';
import { createCachedRuleLookup, type CachedRuleLookupOptions } from '../../../src/infra/rules/cachedRuleLookup.js';
import { ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import { FakeClock, FakeRedis, T0, answered, deferred, failed, fakeClient, recordingLogger, rule } from './fakes.js';

const TRIGGER = 'CASE_CREATED_KYC_STANDARD';
const CONTEXT = { case_id: 'case-1', client_id: 'client-secret-42', traitement_type: 'KYC', case_type: 'STANDARD' };
const SECOND = 1000;

/** A rule answer as the lookup gives it: where it came from, and when the service answered it (ms). */
const answer = (source: RuleSource, layer: 'memory' | 'redis' | null, found: NotificationRule, fetchedAtMs: number): RuleAnswer => ({
  kind: 'rule',
  rule: found,
  source,
  layer,
  fetched_at: new Date(fetchedAtMs).toISOString(),
});
/** The service answered this lookup. */
const fresh = (found = rule(), fetchedAtMs = T0) => answer('fresh', null, found, fetchedAtMs);
/** A fresh entry of a cache layer answered. */
const cached = (layer: 'memory' | 'redis', found = rule(), fetchedAtMs = T0) => answer('cache', layer, found, fetchedAtMs);
/** An expired entry of a cache layer answered, the service having failed. */
const stale = (layer: 'memory' | 'redis', found = rule(), fetchedAtMs = T0) => answer('stale', layer, found, fetchedAtMs);

const setup = (patch: Partial<CachedRuleLookupOptions> = {}) => {
  const clock = new FakeClock();
  const redis = new FakeRedis(clock);
  const { client, matchRule } = fakeClient();
  const { logger, lines } = recordingLogger();
  const options: CachedRuleLookupOptions = {
    url: 'http://127.0.0.1:1/config',
    timeoutMs: 300,
    redis,
    client,
    now: clock.now,
    random: () => 0.5, // no jitter unless a test asks for it
    logger,
    ...patch,
  };
  const lookup = createCachedRuleLookup(options);
  const ask = (trigger = TRIGGER, context: Record<string, unknown> = CONTEXT) => firstValueFrom(lookup.ruleFor(trigger, context));
  return { clock, redis, client, matchRule, logger, lines, lookup, ask, options };
};

describe('createCachedRuleLookup', () => {
  describe('without CONFIG_SERVICE_URL', () => {
    for (const url of [undefined, '', '  ']) {
      it(`answers no-rule without calling the service or Redis when the url is ${JSON.stringify(url)}`, async () => {
        const s = setup({ url });
        expect(await s.ask()).to.deep.equal({ kind: 'no-rule' });
        expect(s.matchRule.called).to.equal(false);
        expect(s.redis.get.called).to.equal(false);
        expect(s.lookup.stats().http_calls).to.equal(0);
      });
    }
  });

  describe('on a miss', () => {
    it('asks the service with the trigger and context and answers its rule', async () => {
      const s = setup();
      expect(await s.ask()).to.deep.equal(fresh());
      expect(s.matchRule.calledOnceWithExactly(TRIGGER, CONTEXT)).to.equal(true);
      expect(s.lookup.stats()).to.include({ misses: 1, hits: 0, http_calls: 1, http_errors: 0 });
    });

    it('stores a JSON envelope under casestream:rule:<trigger> that stays in Redis past its freshness', async () => {
      const s = setup();
      await s.ask();
      const key = ruleCacheKey(TRIGGER);
      expect(key).to.equal(`casestream:rule:${TRIGGER}`);
      expect(s.redis.json(key)).to.deep.equal({
        rule: rule(),
        fetched_at: '2026-01-15T10:00:00.000Z',
        fresh_until: '2026-01-15T10:05:00.000Z',
      });
      expect(s.redis.pttl(key)).to.equal(300 * SECOND + 24 * 3600 * SECOND);
    });

    it('is cold: nothing happens until the answer is subscribed to', async () => {
      const s = setup();
      const answer$ = s.lookup.ruleFor(TRIGGER, CONTEXT);
      await Promise.resolve();
      expect(s.matchRule.called).to.equal(false);
      expect(await firstValueFrom(answer$)).to.deep.equal(fresh());
    });
  });

  describe('fresh entries', () => {
    it('answers a fresh Redis entry with no HTTP call', async () => {
      const s = setup();
      await s.ask();
      // Another instance sharing the Redis: its in-process layer is empty.
      const other = createCachedRuleLookup({ ...s.options });
      expect(await firstValueFrom(other.ruleFor(TRIGGER, CONTEXT))).to.deep.equal(cached('redis'));
      expect(s.matchRule.callCount).to.equal(1);
      expect(other.stats()).to.include({ hits: 1, misses: 0, http_calls: 0 });
    });

    it('answers from the in-process layer without a Redis round trip', async () => {
      const s = setup();
      await s.ask();
      s.redis.get.resetHistory();
      s.clock.advance(299 * SECOND);
      expect(await s.ask()).to.deep.equal(cached('memory'));
      expect(s.redis.get.called).to.equal(false);
      expect(s.matchRule.callCount).to.equal(1);
      expect(s.lookup.stats().hits).to.equal(1);
    });

    it('answers an in-process hit synchronously', () => {
      const s = setup();
      return s.ask().then(() => {
        let seen: unknown;
        s.lookup.ruleFor(TRIGGER, CONTEXT).subscribe((a) => (seen = a));
        expect(seen).to.deep.equal(cached('memory'));
      });
    });

    it('reads Redis again once the in-process copy is no longer fresh, and takes a newer entry written there', async () => {
      const s = setup();
      await s.ask();
      s.clock.advance(301 * SECOND);
      // Another instance refreshed the entry in the meantime.
      s.matchRule.resolves(answered(rule({ rule_id: 'NEWER' })));
      const newer = rule({ rule_id: 'FROM_OTHER_INSTANCE' });
      await s.redis.set(
        ruleCacheKey(TRIGGER),
        JSON.stringify({
          rule: newer,
          fetched_at: new Date(s.clock.ms).toISOString(),
          fresh_until: new Date(s.clock.ms + 300 * SECOND).toISOString(),
        }),
        'PX',
        400 * SECOND,
      );
      expect(await s.ask()).to.deep.equal(cached('redis', newer, s.clock.ms));
      expect(s.matchRule.callCount).to.equal(1);
    });

    it('keeps at most memoryMaxEntries triggers in process', async () => {
      const s = setup({ memoryMaxEntries: 2 });
      await s.ask('A');
      await s.ask('B');
      await s.ask('C'); // evicts A
      s.redis.get.resetHistory();
      await s.ask('C');
      expect(s.redis.get.called).to.equal(false);
      await s.ask('A');
      expect(s.redis.get.calledOnceWithExactly(ruleCacheKey('A'))).to.equal(true);
      expect(s.matchRule.callCount).to.equal(3); // A came back from Redis, fresh
    });
  });

  describe('negative caching', () => {
    it('caches "no rule" for the shorter negative TTL', async () => {
      const s = setup({ ttlSeconds: 300, negativeTtlSeconds: 60 });
      s.matchRule.resolves(answered(null));
      expect(await s.ask()).to.deep.equal({ kind: 'no-rule' });
      const key = ruleCacheKey(TRIGGER);
      expect(s.redis.json(key)).to.deep.equal({
        rule: null,
        fetched_at: '2026-01-15T10:00:00.000Z',
        fresh_until: '2026-01-15T10:01:00.000Z',
      });
      expect(s.redis.pttl(key)).to.equal(60 * SECOND + 24 * 3600 * SECOND);

      s.clock.advance(59 * SECOND);
      expect(await s.ask()).to.deep.equal({ kind: 'no-rule' });
      expect(s.matchRule.callCount).to.equal(1);

      s.clock.advance(2 * SECOND);
      s.matchRule.resolves(answered(rule()));
      expect(await s.ask()).to.deep.equal(fresh(rule(), T0 + 61 * SECOND));
      expect(s.matchRule.callCount).to.equal(2);
    });
  });

  describe('jitter', () => {
    const freshSecondsWith = async (random: number, found: NotificationRule | null = rule()) => {
      const s = setup({ random: () => random, ttlSeconds: 300, negativeTtlSeconds: 60, jitter: 0.1 });
      s.matchRule.resolves(answered(found));
      await s.ask();
      const envelope = s.redis.json(ruleCacheKey(TRIGGER)) as { fresh_until: string };
      return (Date.parse(envelope.fresh_until) - s.clock.ms) / SECOND;
    };

    it('spreads freshness by ±10%', async () => {
      expect(await freshSecondsWith(0)).to.equal(270);
      expect(await freshSecondsWith(0.5)).to.equal(300);
      expect(await freshSecondsWith(0.999999)).to.be.closeTo(330, 0.01);
      expect(await freshSecondsWith(0, null)).to.equal(54);
      expect(await freshSecondsWith(0.999999, null)).to.be.closeTo(66, 0.01);
    });

    it('keeps the Redis key for the jittered freshness plus the stale window', async () => {
      const s = setup({ random: () => 0, staleTtlSeconds: 600 });
      await s.ask();
      expect(s.redis.pttl(ruleCacheKey(TRIGGER))).to.equal(270 * SECOND + 600 * SECOND);
    });
  });

  describe('stale entries', () => {
    it('asks the service again and rewrites the cache when the service answers', async () => {
      const s = setup();
      await s.ask();
      s.clock.advance(301 * SECOND);
      const newer = rule({ rule_id: 'NEWER' });
      s.matchRule.resolves(answered(newer));
      expect(await s.ask()).to.deep.equal(fresh(newer, T0 + 301 * SECOND));
      expect(s.matchRule.callCount).to.equal(2);
      expect(s.redis.json(ruleCacheKey(TRIGGER))).to.deep.include({ rule: newer, fetched_at: '2026-01-15T10:05:01.000Z' });
    });

    it('serves the expired answer when the service fails (stale-if-error) and leaves the entry as it was', async () => {
      const s = setup();
      await s.ask();
      const before = s.redis.json(ruleCacheKey(TRIGGER));
      s.clock.advance(3600 * SECOND);
      s.matchRule.resolves(failed());
      expect(await s.ask()).to.deep.equal(stale('redis'));
      expect(s.redis.json(ruleCacheKey(TRIGGER))).to.deep.equal(before);
      expect(s.lookup.stats()).to.include({ stale_served: 1, errors: 0, http_errors: 1 });
    });

    it('serves an expired "no rule" too', async () => {
      const s = setup();
      s.matchRule.resolves(answered(null));
      await s.ask();
      s.clock.advance(120 * SECOND);
      s.matchRule.resolves(failed());
      expect(await s.ask()).to.deep.equal({ kind: 'no-rule' });
    });

    it('answers unavailable once the stale window is over', async () => {
      const s = setup({ staleTtlSeconds: 60 });
      await s.ask();
      s.clock.advance(361 * SECOND);
      s.matchRule.resolves(failed('the service answered HTTP 503'));
      expect(await s.ask()).to.deep.equal({ kind: 'unavailable', reason: 'the service answered HTTP 503' });
    });
  });

  describe('failures', () => {
    it('answers unavailable and caches nothing when the service fails with nothing cached', async () => {
      const s = setup();
      s.matchRule.resolves(failed('no answer within 300 ms'));
      expect(await s.ask()).to.deep.equal({ kind: 'unavailable', reason: 'no answer within 300 ms' });
      expect(s.redis.store.size).to.equal(0);
      expect(s.redis.set.called).to.equal(false);

      s.matchRule.resolves(answered(rule()));
      expect(await s.ask()).to.deep.equal(fresh());
      expect(s.matchRule.callCount).to.equal(2);
      expect(s.lookup.stats()).to.include({ errors: 1, http_calls: 2, http_errors: 1, misses: 2 });
    });

    it('never errors, even when the client rejects', async () => {
      const s = setup();
      s.matchRule.rejects(new Error('boom'));
      const answer = await s.ask();
      expect(answer.kind).to.equal('unavailable');
    });

    it('treats a corrupt Redis value as a miss, logs it and overwrites it', async () => {
      const s = setup();
      await s.redis.set(ruleCacheKey(TRIGGER), '{"rule": {"rule_id": 1}, "fetched_at": "yesterday"}', 'PX', 100 * SECOND);
      expect(await s.ask()).to.deep.equal(fresh());
      expect(s.matchRule.callCount).to.equal(1);
      expect(s.lookup.stats()).to.include({ corrupt_entries: 1, misses: 1 });
      expect(s.lines.some((l) => l.level === 'warn' && /corrupt/.test(l.msg ?? ''))).to.equal(true);
      expect(s.redis.json(ruleCacheKey(TRIGGER))).to.deep.include({ rule: rule() });
    });

    it('never serves a corrupt value when the service fails', async () => {
      const s = setup();
      await s.redis.set(ruleCacheKey(TRIGGER), 'not json', 'PX', 100 * SECOND);
      s.matchRule.resolves(failed());
      expect((await s.ask()).kind).to.equal('unavailable');
    });
  });

  describe('single-flight', () => {
    it('makes one HTTP call for 10 concurrent lookups of one trigger', async () => {
      const s = setup();
      const answer = deferred<ReturnType<typeof answered>>();
      s.matchRule.returns(answer.promise);
      const lookups = Array.from({ length: 10 }, (_, i) => s.ask(TRIGGER, { case_id: `case-${i}` }));
      await new Promise((r) => setTimeout(r, 5));
      answer.resolve(answered(rule()));
      const answers = await Promise.all(lookups);
      expect(s.matchRule.callCount).to.equal(1);
      expect(s.redis.get.callCount).to.equal(1);
      expect(answers).to.deep.equal(Array.from({ length: 10 }, () => fresh()));
    });

    it('shares a failure too, and lets the next lookup try again', async () => {
      const s = setup();
      const answer = deferred<ReturnType<typeof failed>>();
      s.matchRule.onFirstCall().returns(answer.promise);
      const lookups = Array.from({ length: 10 }, () => s.ask());
      await new Promise((r) => setTimeout(r, 5));
      answer.resolve(failed());
      const answers = await Promise.all(lookups);
      expect(answers.every((a) => a.kind === 'unavailable')).to.equal(true);
      expect(s.matchRule.callCount).to.equal(1);
      s.matchRule.resolves(answered(rule()));
      expect(await s.ask()).to.deep.equal(fresh());
      expect(s.matchRule.callCount).to.equal(2);
    });

    it('does not share between different triggers', async () => {
      const s = setup();
      await Promise.all([s.ask('A'), s.ask('B'), s.ask('A'), s.ask('B')]);
      expect(s.matchRule.callCount).to.equal(2);
    });
  });

  describe('when Redis fails', () => {
    it('goes straight to the service and still answers', async () => {
      const s = setup();
      s.redis.failing = true;
      expect(await s.ask()).to.deep.equal(fresh());
      expect(s.matchRule.callCount).to.equal(1);
      expect(s.lookup.stats()).to.include({ redis_errors: 1, http_calls: 1, errors: 0 });
      expect(s.redis.set.called).to.equal(false); // no second wait on a Redis that just failed
    });

    it('counts a failed write and still answers', async () => {
      const s = setup();
      const failingSet = async (): Promise<'OK'> => Promise.reject(new Error('Command timed out'));
      const lookup = createCachedRuleLookup({ ...s.options, redis: { get: s.redis.get, set: failingSet } });
      expect(await firstValueFrom(lookup.ruleFor(TRIGGER, CONTEXT))).to.deep.equal(fresh());
      expect(lookup.stats()).to.include({ redis_errors: 1, misses: 1 });
    });

    it('logs the outage once when it starts and once when it ends', async () => {
      const s = setup({ memoryMaxEntries: 1 });
      s.redis.failing = true;
      await s.ask('A');
      await s.ask('B');
      await s.ask('C');
      expect(s.lines.filter((l) => l.level === 'warn' && /Redis/.test(l.msg ?? ''))).to.have.length(1);
      s.redis.failing = false;
      await s.ask('D');
      expect(s.lines.filter((l) => l.level === 'info' && /Redis answers again/.test(l.msg ?? ''))).to.have.length(1);
    });

    it('serves the in-process copy when it is fresh, and when stale if the service fails too', async () => {
      const s = setup();
      await s.ask();
      s.redis.failing = true;
      expect(await s.ask()).to.deep.equal(cached('memory'));
      s.clock.advance(400 * SECOND);
      s.matchRule.resolves(failed());
      expect(await s.ask()).to.deep.equal(stale('memory'));
      expect(s.lookup.stats().stale_served).to.equal(1);
    });

    it('works without Redis at all (redis: null)', async () => {
      const s = setup({ redis: null });
      expect(await s.ask()).to.deep.equal(fresh());
      expect(await s.ask()).to.deep.equal(cached('memory'));
      expect(s.matchRule.callCount).to.equal(1);
      expect(s.lookup.stats().redis_errors).to.equal(0);
    });
  });

  describe('circuit breaker', () => {
    it('stops calling the service after N consecutive failures, for M seconds, then tries once', async () => {
      const s = setup({ circuitBreaker: { failureThreshold: 3, openSeconds: 30 } });
      s.matchRule.resolves(failed());
      for (const trigger of ['A', 'B', 'C']) expect((await s.ask(trigger)).kind).to.equal('unavailable');
      expect(s.matchRule.callCount).to.equal(3);

      const open = await s.ask('D');
      expect(open).to.deep.equal({ kind: 'unavailable', reason: 'circuit open after repeated Configuration Service failures' });
      expect(s.matchRule.callCount).to.equal(3);
      expect(s.lookup.stats()).to.include({ short_circuited: 1, http_calls: 3, errors: 4 });

      s.clock.advance(30 * SECOND);
      s.matchRule.resolves(answered(rule()));
      expect(await s.ask('D')).to.deep.equal(fresh(rule(), T0 + 30 * SECOND));
      expect(await s.ask('E')).to.deep.equal(fresh(rule(), T0 + 30 * SECOND));
      expect(s.matchRule.callCount).to.equal(5);
    });

    it('serves stale answers while open', async () => {
      const s = setup({ circuitBreaker: { failureThreshold: 2, openSeconds: 30 } });
      await s.ask('CACHED');
      s.clock.advance(400 * SECOND);
      s.matchRule.resolves(failed());
      await s.ask('A');
      await s.ask('B');
      expect(await s.ask('CACHED')).to.deep.equal(stale('redis'));
      expect(s.matchRule.callCount).to.equal(3);
      expect(s.lookup.stats()).to.include({ short_circuited: 1, stale_served: 1 });
    });

    it('can be disabled', async () => {
      const s = setup({ circuitBreaker: false });
      s.matchRule.resolves(failed());
      for (let i = 0; i < 10; i += 1) await s.ask(`T${i}`);
      expect(s.matchRule.callCount).to.equal(10);
    });
  });

  describe('where an answer came from', () => {
    it('says fresh when the service answered, with when it answered, for every lookup that joined the call', async () => {
      const s = setup();
      s.clock.advance(7 * SECOND);
      const answers = await Promise.all([s.ask(TRIGGER, { case_id: 'case-1' }), s.ask(TRIGGER, { case_id: 'case-2' })]);
      expect(answers).to.deep.equal([fresh(rule(), T0 + 7 * SECOND), fresh(rule(), T0 + 7 * SECOND)]);
      expect(s.matchRule.callCount).to.equal(1);
    });

    it('says cache from memory for a fresh in-process entry, keeping when the service answered', async () => {
      const s = setup();
      await s.ask();
      s.clock.advance(60 * SECOND);
      expect(await s.ask()).to.deep.equal(cached('memory', rule(), T0));
    });

    it('says cache from Redis for a fresh entry another instance stored, and keeps the rule version through it', async () => {
      const s = setup();
      s.matchRule.resolves(answered(rule({ version: 4 })));
      expect(await s.ask()).to.deep.equal(fresh(rule({ version: 4 })));
      const other = createCachedRuleLookup({ ...s.options });
      expect(await firstValueFrom(other.ruleFor(TRIGGER, CONTEXT))).to.deep.equal(cached('redis', rule({ version: 4 })));
    });

    it('says stale, with the layer and the time of the expired answer, when the service fails', async () => {
      const s = setup();
      await s.ask();
      s.clock.advance(3600 * SECOND);
      s.matchRule.resolves(failed());
      expect(await s.ask()).to.deep.equal(stale('redis', rule(), T0));
    });

    it('says stale when the open circuit keeps the service from being asked', async () => {
      const s = setup({ circuitBreaker: { failureThreshold: 1, openSeconds: 30 } });
      await s.ask();
      s.clock.advance(400 * SECOND);
      s.matchRule.resolves(failed());
      await s.ask('OTHER');
      expect(await s.ask()).to.deep.equal(stale('redis', rule(), T0));
      expect(s.lookup.stats()).to.include({ short_circuited: 1, http_calls: 2 });
    });
  });

  describe('observability', () => {
    it('exposes every counter', async () => {
      const s = setup();
      expect(Object.keys(s.lookup.stats())).to.include.members([
        'hits',
        'misses',
        'stale_served',
        'errors',
        'http_calls',
        'http_errors',
        'redis_errors',
      ]);
    });

    it('logs the trigger and case id of a failure, never other context values', async () => {
      const s = setup();
      s.matchRule.resolves(failed());
      await s.ask();
      const failure = s.lines.find((l) => l.level === 'warn' && /Configuration Service failed/.test(l.msg ?? ''));
      expect(failure?.obj).to.include({ trigger: TRIGGER, case_id: 'case-1' });
      expect(JSON.stringify(s.lines)).not.to.include('client-secret-42');
    });

    it('logs skipped malformed rules with their field paths', async () => {
      const s = setup();
      s.matchRule.resolves({
        kind: 'answered',
        rule: rule(),
        skipped: [{ index: 0, errors: [{ path: '$.rule_id', rule: 'is required' }] }],
      });
      await s.ask();
      const line = s.lines.find((l) => /malformed rules skipped/.test(l.msg ?? ''));
      expect(line?.obj).to.deep.include({ skipped: [{ index: 0, errors: [{ path: '$.rule_id', rule: 'is required' }] }] });
    });
  });

  describe('forgetLocal', () => {
    it('drops in-process copies so the next lookup reads Redis', async () => {
      const s = setup();
      await s.ask();
      s.lookup.forgetLocal(TRIGGER);
      s.redis.get.resetHistory();
      await s.ask();
      expect(s.redis.get.callCount).to.equal(1);
      expect(s.matchRule.callCount).to.equal(1);
    });
  });
});
