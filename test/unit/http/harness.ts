import type { Db } from 'mongodb';
import { request as httpRequest } from 'node:http';
import { buildRouter } from '../../../src/infra/http/api.js';
import { apiTokens, sha256Hex, type ApiTokens } from '../../../src/infra/http/apiTokens.js';
import type { Scope } from '../../../src/infra/http/scopes.js';
import type { HealthReport } from '../../../src/infra/http/health.js';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../../src/infra/http/server.js';
import { FakePublisher, FakeQueries, RecordingLogger } from './fakes.js';

/** The HTTP server on 127.0.0.1 with a fake database and publisher, for the unit tests of the API. */

export const HOST = '127.0.0.1';
export const okReport: HealthReport = {
  status: 'ok',
  components: { kafka: { status: 'up' }, mongodb: { status: 'up' }, redis: { status: 'up' }, config_service: { status: 'disabled' } },
};

export interface Harness {
  server: RunningHttpServer;
  queries: FakeQueries;
  commands: FakePublisher;
  logger: RecordingLogger;
  state: { health: () => Promise<HealthReport>; ready: () => Promise<boolean> };
  url(path: string): string;
  call(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: unknown; text: string }>;
}

export const startHarness = async (overrides: Partial<HttpServerOptions> = {}): Promise<Harness> => {
  const queries = new FakeQueries();
  const commands = new FakePublisher();
  const logger = new RecordingLogger();
  const state = { health: async () => okReport, ready: async () => true };
  let ids = 0;
  const server = await startHttpServer({
    port: 0,
    host: HOST,
    db: {} as Db,
    queries,
    commands,
    health: () => state.health(),
    ready: () => state.ready(),
    metrics: () => '# HELP x X.\n# TYPE x counter\nx 1\n',
    logger,
    newCommandId: () => `cmd-${(ids += 1)}`,
    checkTimeoutMs: 200,
    ...overrides,
  });
  const url = (path: string) => `http://${HOST}:${server.port}${path}`;
  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(url(path), init);
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: res.headers, body, text };
  };
  return { server, queries, commands, logger, state, url, call };
};

export const jsonBody = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/**
 * One request with the request target sent exactly as given: node:http writes `path` as it is,
 * where fetch and `new URL` would resolve dot segments and re-encode the path first.
 */
export const rawRequest = (
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: HOST, port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });

/** API tokens by name, each with its token and scope, as API_TOKENS_FILE would list their hashes. */
export const tokensOf = (tokens: Readonly<Record<string, readonly [token: string, scope: Scope]>>): ApiTokens =>
  apiTokens(Object.entries(tokens).map(([name, [token, scope]]) => ({ name, sha256: sha256Hex(token), scope })));

/** The routes the API serves, from a router built on fakes. */
export const apiRoutes = () =>
  buildRouter({
    queries: new FakeQueries(),
    commands: new FakePublisher(),
    health: async () => okReport,
    ready: async () => true,
    metrics: () => '',
    logger: new RecordingLogger(),
  }).list();
