// Infra check: the local Redis keeps values with a TTL. Requires `npm run stack:up`.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { REDIS_URL, uniqueName } from '../../support/stack.js';

describe('Local stack: Redis', function () {
  this.timeout(15_000);

  let redis: Redis;
  const keys: string[] = [];

  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
    await redis.connect();
  });

  after(async () => {
    if (!redis) return;
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
  });

  it('reads back a value set with a TTL together with its remaining TTL', async () => {
    const key = uniqueName('casestream:stack-test');
    keys.push(key);
    expect(await redis.set(key, 'dedup-marker', 'EX', 120)).to.equal('OK');

    expect(await redis.get(key)).to.equal('dedup-marker');
    const ttl = await redis.ttl(key);
    expect(ttl).to.be.within(100, 120);
    const pttl = await redis.pttl(key);
    expect(pttl).to.be.within(100_000, 120_000);
  });

  it('refuses SET NX on an existing key', async () => {
    const key = uniqueName('casestream:stack-test-nx');
    keys.push(key);
    expect(await redis.set(key, 'first', 'EX', 60, 'NX')).to.equal('OK');
    expect(await redis.set(key, 'second', 'EX', 60, 'NX')).to.equal(null);
    expect(await redis.get(key)).to.equal('first');
  });
});
