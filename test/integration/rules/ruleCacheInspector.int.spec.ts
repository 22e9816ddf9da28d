import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import sinon from 'sinon';
import { createCachedRuleLookup } from '../../../src/infra/rules/cachedRuleLookup.js';
import { encodeRuleCacheEntry, newRuleCacheEntry, ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import { clear, evict, getEntry, listEntries, stats } from '../../../src/infra/rules/ruleCacheInspector.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { REDIS_URL, cleanUp, connectedRedis, rule, uniquePrefix } from './support.js';

const HOUR = 3600 * 1000;

describe('rule cache inspector against Redis', () => {
  let redis: Redis;
  let stub: ConfigServiceStub;
  let prefix: string;
  let T: { found: string; none: string; stale: string; corrupt: string };

  before(async () => {
    redis = await connectedRedis();
    stub = await startConfigServiceStub({ port: 0, rules: {} });
  });

  after(async () => {
    await stub?.close();
    await redis?.quit();
  });

  afterEach(async () => {
    sinon.restore();
    await cleanUp(redis, prefix);
  });

  /** Four entries: a rule and "no rule" cached by a real lookup, a stale one and a corrupt one written by hand. */
  beforeEach(async () => {
    prefix = uniquePrefix();
    T = { found: `${prefix}FOUND`, none: `${prefix}NONE`, stale: `${prefix}STALE`, corrupt: `${prefix}CORRUPT` };
    stub.setRules({ [T.found]: [rule('FOUND_RULE')] });
    const lookup = createCachedRuleLookup({ url: stub.url, timeoutMs: 1000, redis });
    await firstValueFrom(lookup.ruleFor(T.found, { case_id: 'c1' }));
    await firstValueFrom(lookup.ruleFor(T.none, { case_id: 'c2' }));
    const old = newRuleCacheEntry(rule('OLD_RULE'), Date.now() - 2 * HOUR, HOUR / 12);
    await redis.set(ruleCacheKey(T.stale), encodeRuleCacheEntry(old), 'PX', 20 * HOUR);
    await redis.set(ruleCacheKey(T.corrupt), '{"rule": 42}', 'PX', HOUR);
  });

  describe('listEntries', () => {
    it('lists the entries matching a pattern with SCAN (never KEYS), sorted by trigger', async () => {
      const scan = sinon.spy(redis, 'scan');
      const keys = sinon.spy(redis, 'keys');
      const listed = await listEntries(redis, { pattern: `${prefix}*`, count: 2 });
      expect(listed.map((l) => l.trigger)).to.deep.equal([T.corrupt, T.found, T.none, T.stale]);
      expect(keys.called).to.equal(false);
      expect(scan.called).to.equal(true);
      expect(scan.firstCall.args).to.deep.equal(['0', 'MATCH', `casestream:rule:${prefix}*`, 'COUNT', 2]);
    });

    it('describes each entry: rule, fetched_at, fresh_until, ttl_seconds, stale, corrupt', async () => {
      const listed = await listEntries(redis, { pattern: `${prefix}*` });
      const byTrigger = new Map(listed.map((l) => [l.trigger, l]));

      const found = byTrigger.get(T.found);
      expect(found).to.deep.include({ rule: rule('FOUND_RULE'), stale: false, corrupt: null });
      expect(Date.parse(found?.fetched_at ?? '')).to.be.closeTo(Date.now(), 10_000);
      expect(found?.ttl_seconds).to.be.within(86_400 + 250, 86_400 + 330);

      expect(byTrigger.get(T.none)).to.deep.include({ rule: null, stale: false, corrupt: null });

      const stale = byTrigger.get(T.stale);
      expect(stale).to.deep.include({ rule: rule('OLD_RULE'), stale: true, corrupt: null });
      expect(stale?.ttl_seconds).to.be.within(20 * 3600 - 60, 20 * 3600);

      const corrupt = byTrigger.get(T.corrupt);
      expect(corrupt).to.deep.include({ rule: null, fetched_at: null, fresh_until: null, stale: true });
      expect(corrupt?.corrupt).to.be.a('string').and.include('$.rule');
    });

    it('narrows with the pattern and stops at the limit', async () => {
      expect((await listEntries(redis, { pattern: `${prefix}FOUND` })).map((l) => l.trigger)).to.deep.equal([T.found]);
      expect((await listEntries(redis, { pattern: `${prefix}N*` })).map((l) => l.trigger)).to.deep.equal([T.none]);
      expect(await listEntries(redis, { pattern: `${prefix}*`, limit: 2 })).to.have.length(2);
      expect(await listEntries(redis, { pattern: `${prefix}NOTHING*` })).to.deep.equal([]);
    });
  });

  describe('getEntry', () => {
    it('shows one entry with its fetched_at, fresh_until, TTL and staleness', async () => {
      const entry = await getEntry(redis, T.stale);
      expect(entry).to.deep.include({ trigger: T.stale, rule: rule('OLD_RULE'), stale: true, corrupt: null });
      expect(Date.parse(entry?.fetched_at ?? '')).to.be.closeTo(Date.now() - 2 * HOUR, 10_000);
      expect(Date.parse(entry?.fresh_until ?? '')).to.be.closeTo(Date.now() - 2 * HOUR + HOUR / 12, 10_000);
      expect(entry?.ttl_seconds).to.be.a('number');
    });

    it('answers null when nothing is cached', async () => {
      expect(await getEntry(redis, `${prefix}ABSENT`)).to.equal(null);
    });

    it('honours the clock it is given', async () => {
      const later = () => Date.now() + 2 * HOUR;
      expect((await getEntry(redis, T.found, { now: later }))?.stale).to.equal(true);
    });
  });

  describe('evict', () => {
    it('removes one entry and says whether there was one', async () => {
      expect(await evict(redis, T.found)).to.equal(true);
      expect(await redis.exists(ruleCacheKey(T.found))).to.equal(0);
      expect(await evict(redis, T.found)).to.equal(false);
      expect(await redis.exists(ruleCacheKey(T.none))).to.equal(1);
    });

    it('makes the next lookup ask the service again', async () => {
      await evict(redis, T.found);
      stub.reset();
      const fresh = createCachedRuleLookup({ url: stub.url, timeoutMs: 1000, redis });
      await firstValueFrom(fresh.ruleFor(T.found, {}));
      expect(stub.state().requests).to.equal(1);
    });
  });

  describe('stats', () => {
    it('counts entries, fresh, stale and corrupt', async () => {
      expect(await stats(redis, { pattern: `${prefix}*` })).to.deep.equal({ count: 4, fresh: 2, stale: 1, corrupt: 1 });
    });
  });

  describe('clear', () => {
    it('removes every entry matching the pattern, page by page, and nothing else', async () => {
      const many = Array.from({ length: 1200 }, (_, i) => `${prefix}BULK_${i}`);
      const pipeline = redis.pipeline();
      for (const t of many) pipeline.set(ruleCacheKey(t), encodeRuleCacheEntry(newRuleCacheEntry(null, Date.now(), 60_000)), 'PX', HOUR);
      await pipeline.exec();
      const other = `${prefix}not-a-rule-key`;
      await redis.set(other, 'x', 'PX', HOUR);
      try {
        const unlink = sinon.spy(redis, 'unlink');
        expect(await clear(redis, { pattern: `${prefix}BULK_*`, count: 100 })).to.equal(1200);
        expect(unlink.callCount).to.be.greaterThan(1);
        expect(await listEntries(redis, { pattern: `${prefix}BULK_*` })).to.deep.equal([]);
        expect((await stats(redis, { pattern: `${prefix}*` })).count).to.equal(4);
        expect(await redis.exists(other)).to.equal(1);
      } finally {
        await redis.unlink(other);
      }
    });

    it('clears every rule-cache key by default, and only those (on a database of its own)', async function () {
      const db = 13;
      const isolated = await connectedRedis(`${REDIS_URL}/${db}`);
      if ((await isolated.dbsize()) !== 0) {
        await isolated.quit();
        this.skip(); // someone else uses that database: clearing everything there is not ours to do
      }
      try {
        await isolated.set(ruleCacheKey('A'), '{}', 'PX', HOUR);
        await isolated.set(ruleCacheKey('B'), '{}', 'PX', HOUR);
        await isolated.set('someone-else:key', 'x', 'PX', HOUR);
        expect(await clear(isolated)).to.equal(2);
        expect(await isolated.exists('someone-else:key')).to.equal(1);
        expect(await isolated.dbsize()).to.equal(1);
      } finally {
        await isolated.unlink(ruleCacheKey('A'), ruleCacheKey('B'), 'someone-else:key');
        await isolated.quit();
      }
    });
  });
});
