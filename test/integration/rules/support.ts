import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../../src/infra/rules/redisClient.js';
import { clear } from '../../../src/infra/rules/ruleCacheInspector.js';

export const REDIS_URL = process.env['RULES_IT_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A fail-fast client that is connected (commands fail until it is, by design). */
export const connectedRedis = async (url = REDIS_URL): Promise<Redis> => {
  const redis = createRedisClient(url, { connectionName: 'casestream-rules-it' });
  if (redis.status === 'ready') return redis;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis at ${url} not ready within 5 s`)), 5000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
};

/** A trigger prefix unique to one test, so tests never see each other's keys. */
export const uniquePrefix = (): string => `IT_${randomUUID().slice(0, 8)}_`;

/** Removes every rule-cache key of a prefix. */
export const cleanUp = (redis: Redis, prefix: string): Promise<number> => clear(redis, { pattern: `${prefix}*` });

export const rule = (rule_id: string, is_active = true) => ({
  rule_id,
  is_active,
  notification_type: 'EMAIL',
  template_id: `${rule_id}_TEMPLATE`,
  language_code: 'en',
});

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP proxy to the real Redis that a test can cut (connections dropped, port closed), black-hole
 * (connections kept open, nothing forwarded: a hung Redis) and restore on the same port.
 */
export class RedisProxy {
  private server: import('node:net').Server | null = null;
  private readonly sockets = new Set<import('node:net').Socket>();
  blackhole = false;
  port = 0;

  constructor(private readonly target = { host: '127.0.0.1', port: Number(new URL(REDIS_URL).port || 6379) }) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const { createServer, connect } = await import('node:net');
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (chunk) => {
        if (!this.blackhole) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!this.blackhole) client.write(chunk);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Resolves once the client is ready again (or rejects after `ms`). */
export const readyAgain = (redis: Redis, ms = 5000): Promise<void> =>
  redis.status === 'ready'
    ? Promise.resolve()
    : new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready again within ${ms} ms (status ${redis.status})`)), ms);
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
