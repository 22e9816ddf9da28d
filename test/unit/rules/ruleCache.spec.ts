import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  decodeRuleCacheEntry,
  encodeRuleCacheEntry,
  newRuleCacheEntry,
  readRuleCacheEntry,
  ruleCacheKey,
  triggerOfKey,
  writeRuleCacheEntry,
} from '../../../src/infra/rules/ruleCache.js';
import { FakeClock, FakeRedis, T0, rule } from './fakes.js';

describe('rule cache envelope', () => {
  it('builds keys as casestream:rule:<trigger> and reads the trigger back', () => {
    expect(ruleCacheKey('CASE_CREATED_KYB_STANDARD')).to.equal('casestream:rule:CASE_CREATED_KYB_STANDARD');
    expect(triggerOfKey('casestream:rule:X:Y')).to.equal('X:Y');
    expect(triggerOfKey('other:X')).to.equal(undefined);
  });

  it('round-trips an entry with a rule and one without, and a rule with its version', () => {
    for (const found of [rule(), null, rule({ version: 3 }), rule({ version: 'v2' })]) {
      const entry = newRuleCacheEntry(found, T0, 60_000);
      expect(entry.fresh_until).to.equal('2026-01-15T10:01:00.000Z');
      const decoded = decodeRuleCacheEntry(encodeRuleCacheEntry(entry));
      expect(decoded).to.deep.equal(E.right(entry));
    }
  });

  const corrupt: Record<string, string> = {
    'not JSON': '{"rule":',
    'a JSON array': '[]',
    'no rule field': JSON.stringify({ fetched_at: '2026-01-15T10:00:00.000Z', fresh_until: '2026-01-15T10:01:00.000Z' }),
    'a malformed rule': JSON.stringify({
      rule: { rule_id: 'X' },
      fetched_at: '2026-01-15T10:00:00.000Z',
      fresh_until: '2026-01-15T10:01:00.000Z',
    }),
    'an inactive rule': JSON.stringify({
      rule: rule({ is_active: false }),
      fetched_at: '2026-01-15T10:00:00.000Z',
      fresh_until: '2026-01-15T10:01:00.000Z',
    }),
    'a bad timestamp': JSON.stringify({ rule: null, fetched_at: 'yesterday', fresh_until: '2026-01-15T10:01:00.000Z' }),
    'a numeric timestamp': JSON.stringify({ rule: null, fetched_at: '2026-01-15T10:00:00.000Z', fresh_until: 1768471260000 }),
  };
  for (const [what, raw] of Object.entries(corrupt)) {
    it(`refuses ${what}`, () => {
      expect(E.isLeft(decodeRuleCacheEntry(raw))).to.equal(true);
    });
  }

  it('names the failing field', () => {
    expect(decodeRuleCacheEntry(corrupt['a bad timestamp'] ?? '')).to.deep.equal(E.left('$.fetched_at must be an ISO-8601 timestamp'));
  });

  describe('readRuleCacheEntry / writeRuleCacheEntry', () => {
    it('reads back what it wrote, with the given key TTL', async () => {
      const clock = new FakeClock();
      const redis = new FakeRedis(clock);
      const entry = newRuleCacheEntry(rule(), T0, 1000);
      expect(await writeRuleCacheEntry(redis, 'T', entry, 5000)).to.equal(null);
      expect(redis.pttl('casestream:rule:T')).to.equal(5000);
      expect(await readRuleCacheEntry(redis, 'T')).to.deep.equal({ kind: 'hit', entry });
      expect(await readRuleCacheEntry(redis, 'OTHER')).to.deep.equal({ kind: 'miss' });
    });

    it('reports corrupt values and Redis failures instead of rejecting', async () => {
      const clock = new FakeClock();
      const redis = new FakeRedis(clock);
      await redis.set('casestream:rule:T', 'garbage', 'PX', 1000);
      expect((await readRuleCacheEntry(redis, 'T')).kind).to.equal('corrupt');
      redis.failing = true;
      expect((await readRuleCacheEntry(redis, 'T')).kind).to.equal('error');
      expect(await writeRuleCacheEntry(redis, 'T', newRuleCacheEntry(null, T0, 1), 1)).to.equal('Command timed out');
    });
  });
});
