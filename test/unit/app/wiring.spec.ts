import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCliContext } from '../../../src/cli/cliContext.js';
import { createLogger } from '../../../src/infra/logger.js';
import { decodeSettings, type Settings } from '../../../src/infra/settings.js';
import { createWiring, redisOptionsFor, type Role } from '../../../src/wiring.js';
import { capturingLogger } from '../../support/capturedLogs.js';

const settingsOf = (env: Record<string, string>): Settings => {
  const decoded = decodeSettings(env);
  if (E.isLeft(decoded)) throw new Error(decoded.left);
  return decoded.right;
};

describe('the wiring shared by the service and the CLI', () => {
  let dir: string;
  let caFile: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'casestream-wiring-'));
    caFile = join(dir, 'redis-ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nredis test CA\n-----END CERTIFICATE-----\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const role of ['service', 'cli'] as const satisfies readonly Role[]) {
    it(`gives the ${role}'s Redis client the CA of REDIS_TLS_CA_FILE`, async () => {
      // Port 1 on loopback: nothing listens, so the client only retries in the background until closed.
      const settings = settingsOf({ REDIS_URL: 'rediss://127.0.0.1:1', REDIS_TLS_CA_FILE: caFile });
      const wiring = createWiring(settings, createLogger('silent'), { role });
      try {
        expect(wiring.redis().options.tls?.ca).to.deep.equal(['-----BEGIN CERTIFICATE-----\nredis test CA\n-----END CERTIFICATE-----\n']);
      } finally {
        await wiring.close();
      }
    });
  }

  it('builds the CLI context from the same wiring, so a CLI command trusts the same Redis CA as the service', async () => {
    writeFileSync(join(dir, 'empty.env'), '');
    const ctx = createCliContext({
      ENV_FILE: join(dir, 'empty.env'),
      REDIS_URL: 'rediss://127.0.0.1:1',
      REDIS_TLS_CA_FILE: caFile,
      LOG_LEVEL: 'silent',
    });
    try {
      expect(ctx.settings.redis.tlsCaFile).to.equal(caFile);
      expect(ctx.redis().options.tls?.ca).to.have.length(1);
    } finally {
      await ctx.close();
    }
  });

  it('lets only a CLI command wait for Redis to connect, and only a few times', () => {
    const redis = settingsOf({}).redis;
    expect(redisOptionsFor(redis, 'service')).to.deep.equal({});
    const cli = redisOptionsFor(redis, 'cli');
    expect(cli.enableOfflineQueue).to.equal(true);
    expect([1, 3, 4].map((n) => (cli.retryStrategy as (times: number) => number | null)(n))).to.deep.equal([200, 200, null]);
  });

  it('warns once, not twice, that notifications are off when CONFIG_SERVICE_URL is unset', async () => {
    const { lines, logger } = capturingLogger<{ level: string; msg: string }>('debug');
    const wiring = createWiring(settingsOf({ REDIS_URL: 'redis://127.0.0.1:1' }), logger, { role: 'service' });
    try {
      wiring.ruleLookup();
      wiring.ruleLookup();
      expect(lines.filter((l) => l.level === 'warn' && /CONFIG_SERVICE_URL/.test(l.msg))).to.have.length(1);
    } finally {
      await wiring.close();
    }
  });
});
