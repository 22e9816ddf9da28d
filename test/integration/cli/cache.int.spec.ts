import { expect } from 'chai';
import { Redis } from 'ioredis';
import { runCliWith } from '../../support/cli.js';
import { newRuleCacheEntry, ruleCacheKey, writeRuleCacheEntry } from '../../../src/infra/rules/ruleCache.js';
import { HARNESS_REDIS_URL } from '../../support/serviceHarness.js';
import { uniqueName } from '../../support/stack.js';

const prefix = uniqueName('CLI_CACHE').toUpperCase().replace(/-/g, '_');
const rule = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'T1', language_code: 'en' };

const cli = (...argv: string[]) => runCliWith({ REDIS_URL: HARNESS_REDIS_URL }, ...argv);

describe('casestream cache commands on the real Redis', function () {
  this.timeout(30_000);
  const redis = new Redis(HARNESS_REDIS_URL);
  const fresh = `${prefix}_FRESH`;
  const stale = `${prefix}_STALE`;
  const none = `${prefix}_NONE`;

  beforeEach(async () => {
    const now = Date.now();
    await writeRuleCacheEntry(redis, fresh, newRuleCacheEntry(rule, now, 300_000), 600_000);
    await writeRuleCacheEntry(redis, stale, newRuleCacheEntry(rule, now - 3_600_000, 60_000), 600_000);
    await writeRuleCacheEntry(redis, none, newRuleCacheEntry(null, now, 60_000), 600_000);
  });

  after(async () => {
    await redis.del(ruleCacheKey(fresh), ruleCacheKey(stale), ruleCacheKey(none));
    redis.disconnect();
  });

  it('lists the cached rules matching a pattern as a table', async () => {
    const { code, stdout } = await cli('cache', 'list', '--pattern', `${prefix}*`);
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.match(/^TRIGGER\s+RULE\s+FETCHED_AT\s+FRESH_UNTIL\s+TTL_S\s+STALE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).to.deep.equal([fresh, none, stale]);
    expect(stdout).to.match(new RegExp(`${none}\\s+no rule`));
  });

  it('lists as JSON for scripts', async () => {
    const { code, stdout } = await cli('cache', 'list', '--pattern', `${prefix}*`, '--json');
    expect(code).to.equal(0);
    const entries = JSON.parse(stdout) as { trigger: string; stale: boolean; rule: { rule_id: string } | null }[];
    expect(entries.map((e) => [e.trigger, e.stale, e.rule?.rule_id ?? null])).to.deep.equal([
      [fresh, false, 'WELCOME'],
      [none, false, null],
      [stale, true, 'WELCOME'],
    ]);
  });

  it('shows one entry with when it was fetched, its time to live and whether it is stale', async () => {
    const { code, stdout } = await cli('cache', 'get', stale);
    expect(code).to.equal(0);
    expect(stdout).to.match(/fetched at\s+\d{4}-\d\d-\d\dT/);
    expect(stdout).to.match(/ttl\s+\d+ s/);
    expect(stdout).to.contain('stale: served only if the service fails');
  });

  it('shows a cached "no rule" answer as such, fresh', async () => {
    const { code, stdout } = await cli('cache', 'get', none);
    expect(code).to.equal(0);
    expect(stdout).to.match(/rule\s+no rule/);
    expect(stdout).not.to.contain('stale: served only');
  });

  it('says so, with a non-zero exit, when nothing is cached for a trigger', async () => {
    const { code, stdout } = await cli('cache', 'get', `${prefix}_ABSENT`);
    expect(code).to.equal(1);
    expect(stdout).to.contain('nothing cached');
  });

  it('evicts one entry and clears by pattern', async () => {
    expect((await cli('cache', 'evict', fresh)).stdout).to.contain(`evicted ${fresh}`);
    expect(await redis.exists(ruleCacheKey(fresh))).to.equal(0);
    const cleared = await cli('cache', 'clear', '--pattern', `${prefix}*`, '--json');
    expect(JSON.parse(cleared.stdout)).to.deep.equal({ removed: 2 });
    expect(await redis.exists(ruleCacheKey(stale), ruleCacheKey(none))).to.equal(0);
  });

  it('counts entries, fresh and stale', async () => {
    const { code, stdout } = await cli('cache', 'stats', '--pattern', `${prefix}*`, '--json');
    expect(code).to.equal(0);
    expect(JSON.parse(stdout)).to.deep.equal({ count: 3, fresh: 2, stale: 1, corrupt: 0 });
  });

  it('answers a wrong command line with the usage and exit code 2', async () => {
    const { code, stderr } = await cli('cache', 'frobnicate');
    expect(code).to.equal(2);
    expect(stderr).to.contain('usage: casestream');
  });
});
