import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { decodeCaseCommand, type CaseCommand } from '../../domain/caseCommand.js';
import type { FieldError } from '../../domain/rejection.js';
import {
  decode,
  determineRequirementsBody,
  documentFilterQuery,
  pageQuery,
  pathId,
  updateDocumentStatusBody,
} from './apiCodecs.js';
import type { CommandPublisher } from './commandPublisher.js';
import type { HealthReport } from './health.js';
import { openApiDocument } from './openapi.js';
import type { ApiQueries } from './queries.js';
import { Router } from './router.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.js';

/** The logger calls the server makes (pino's Logger fits). */
export interface HttpLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ApiDependencies {
  readonly queries: ApiQueries;
  readonly commands: CommandPublisher;
  /** The health report; 503 when `down`. */
  readonly health: () => Promise<HealthReport>;
  /** Consumer in its group and database answering. */
  readonly ready: () => Promise<boolean>;
  /** The Prometheus text exposition. */
  readonly metrics: () => string | Promise<string>;
  /** When set, every /api/v1 route requires `Authorization: Bearer <apiToken>`. */
  readonly apiToken?: string;
  readonly logger: HttpLogger;
  /** Largest accepted request body, bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** How long /health and /health/ready wait for their checks (default 5000 ms). */
  readonly checkTimeoutMs?: number;
  /** New command ids (default crypto.randomUUID). */
  readonly newCommandId?: () => string;
  readonly now?: () => Date;
}

/** What a route answers. */
export interface Reply {
  readonly status: number;
  /** JSON body (or text when `contentType` is given). */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface RequestContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body (read on demand). */
  body(): Promise<unknown>;
}

type Handler = (ctx: RequestContext) => Promise<Reply>;

/** An error that is answered as it is, e.g. a 413. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
  }
}

const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, ...(headers ? { headers } : {}) });
const problem = (status: number, detail: unknown): Reply => json(status, { detail });
const invalid = (details: readonly FieldError[]): Reply => problem(422, details);
const notFound = (what: string): Reply => problem(404, `${what} not found`);

/** The query string as an object: one value per name, repeated names as an array (which every codec refuses). */
const queryObject = (query: URLSearchParams): Record<string, string | string[]> => {
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(query.keys())) {
    const all = query.getAll(name);
    out[name] = all.length === 1 ? all[0]! : all;
  }
  return out;
};

/** Runs `codec` over the request parts; Left is the 422 reply. */
const decodeParts = <A>(codec: t.Type<A, unknown, unknown>, input: unknown): E.Either<Reply, A> =>
  E.mapLeft(invalid)(decode(codec, input));

/** The field errors of several decodings together (path parameters, query, body), in that order. */
const errorsOf = (...results: E.Either<FieldError[], unknown>[]): FieldError[] => results.flatMap((r) => (E.isLeft(r) ? r.left : []));

/** Constant-time comparison of a presented bearer token with the configured one (both hashed first: equal lengths). */
export const tokenMatches = (presented: string, expected: string): boolean => {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
};

export const bearerToken = (header: string | undefined): string | undefined => {
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return m?.[1];
};

/** Database driver errors are "unavailable" (503), everything else a 500. */
const isDatabaseError = (error: unknown): boolean => error instanceof Error && /^Mongo/.test(error.name);

const describeError = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!.slice(0, 300);

const withTimeout = <A>(p: Promise<A>, ms: number, what: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<A>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

/** The routes of the API; exported for the OpenAPI test (every route documented). */
export const buildRouter = (deps: ApiDependencies): Router<Handler> => {
  const q = deps.queries;
  const newCommandId = deps.newCommandId ?? randomUUID;
  const now = deps.now ?? (() => new Date());
  const checkTimeoutMs = deps.checkTimeoutMs ?? 5000;

  /** Records the pending result, publishes, answers 202; a failed publish removes the pending entry and answers 503. */
  const submit = async (command: CaseCommand): Promise<Reply> => {
    const checked = decodeCaseCommand(command);
    if (E.isLeft(checked)) throw new Error(`built an invalid command: ${checked.left.map((e) => `${e.path} ${e.rule}`).join('; ')}`);
    await q.accept(command.command_id, command.case_id, now());
    try {
      await deps.commands.publish(checked.right);
    } catch (error) {
      deps.logger.warn({ command_id: command.command_id, case_id: command.case_id, error: describeError(error) }, 'command could not be published');
      await q.forget(command.command_id).catch(() => undefined);
      return problem(503, 'the command could not be published; try again');
    }
    deps.logger.info({ command_id: command.command_id, command_type: command.command_type, case_id: command.case_id }, 'command accepted');
    return json(202, { command_id: command.command_id }, { Location: `/api/v1/commands/${encodeURIComponent(command.command_id)}` });
  };

  const one = (param: string, what: string, find: (id: string) => Promise<unknown>): Handler => async (ctx) => {
    const p = decodeParts(pathId(param), { path: ctx.params });
    if (E.isLeft(p)) return p.left;
    const id = (p.right.path as Record<string, string>)[param]!;
    const found = await find(id);
    return found === undefined ? notFound(what) : json(200, found);
  };

  const many = (param: string, find: (id: string) => Promise<unknown>): Handler => async (ctx) => {
    const p = decodeParts(pathId(param), { path: ctx.params });
    if (E.isLeft(p)) return p.left;
    return json(200, await find((p.right.path as Record<string, string>)[param]!));
  };

  const paged = (find: (page: { limit: number; skip: number }) => Promise<unknown>): Handler => async (ctx) => {
    const p = decodeParts(pageQuery, { query: queryObject(ctx.query) });
    if (E.isLeft(p)) return p.left;
    return json(200, await find(p.right.query));
  };

  const router = new Router<Handler>();
  router
    .add('GET', '/health', async () => {
      try {
        const report = await withTimeout(deps.health(), checkTimeoutMs, 'the health check');
        return json(report.status === 'down' ? 503 : 200, report);
      } catch (error) {
        deps.logger.warn({ error: describeError(error) }, 'health check failed');
        return problem(503, 'the health check failed');
      }
    })
    .add('GET', '/health/live', async () => json(200, { status: 'ok' }))
    .add('GET', '/health/ready', async () => {
      let ready = false;
      try {
        ready = await withTimeout(deps.ready(), checkTimeoutMs, 'the readiness check');
      } catch (error) {
        deps.logger.warn({ error: describeError(error) }, 'readiness check failed');
      }
      return ready ? json(200, { status: 'ready' }) : problem(503, 'not ready');
    })
    .add('GET', '/metrics', async () => ({ status: 200, body: await deps.metrics(), contentType: PROMETHEUS_CONTENT_TYPE }))
    .add('GET', '/openapi.json', async () => json(200, openApiDocument))
    .add('GET', '/api/v1/cases', paged((page) => q.listCases(page)))
    .add('GET', '/api/v1/cases/{case_id}', one('case_id', 'case', (id) => q.getCase(id)))
    .add('GET', '/api/v1/cases/{case_id}/events', many('case_id', (id) => q.caseEvents(id)))
    .add('GET', '/api/v1/persons/case/{case_id}', many('case_id', (id) => q.personsOfCase(id)))
    .add('GET', '/api/v1/companies/{company_id}', one('company_id', 'company', (id) => q.getCompany(id)))
    .add('GET', '/api/v1/companies/{company_id}/beneficial-owners', many('company_id', (id) => q.beneficialOwners(id)))
    .add('GET', '/api/v1/documents/{document_requirement_id}', one('document_requirement_id', 'document requirement', (id) => q.getDocumentRequirement(id)))
    .add('GET', '/api/v1/documents/case/{case_id}', async (ctx) => {
      const p = decode(pathId('case_id'), { path: ctx.params });
      const f = decode(documentFilterQuery, { query: queryObject(ctx.query) });
      if (E.isLeft(p) || E.isLeft(f)) return invalid(errorsOf(p, f));
      const filter = Object.fromEntries(Object.entries(f.right.query).filter(([, v]) => v !== undefined));
      return json(200, await q.documentRequirementsOfCase(p.right.path.case_id, filter));
    })
    .add('GET', '/api/v1/events/raw', paged((page) => q.rawEvents(page)))
    .add('GET', '/api/v1/commands/{command_id}', one('command_id', 'command', (id) => q.status(id)))
    .add('POST', '/api/v1/documents/determine-requirements', async (ctx) => {
      const b = decodeParts(determineRequirementsBody, await ctx.body());
      if (E.isLeft(b)) return b.left;
      if ((await q.getCase(b.right.case_id)) === undefined) return notFound('case');
      return submit({
        command_type: 'DetermineDocumentRequirements',
        command_id: newCommandId(),
        case_id: b.right.case_id,
        entity_id: b.right.entity_id,
        entity_type: b.right.entity_type,
      });
    })
    .add('PUT', '/api/v1/documents/{document_requirement_id}/status', async (ctx) => {
      const p = decode(pathId('document_requirement_id'), { path: ctx.params });
      const b = decode(updateDocumentStatusBody, await ctx.body());
      if (E.isLeft(p) || E.isLeft(b)) return invalid(errorsOf(p, b));
      const id = p.right.path.document_requirement_id;
      const requirement = await q.getDocumentRequirement(id);
      const case_id = requirement?.case_id;
      if (requirement === undefined || typeof case_id !== 'string') return notFound('document requirement');
      return submit({
        command_type: 'UpdateDocumentStatus',
        command_id: newCommandId(),
        case_id,
        document_requirement_id: id,
        new_status: b.right.new_status,
        updated_by_actor_type: b.right.updated_by_actor_type,
        updated_by_actor_id: b.right.updated_by_actor_id,
        metadata_changes: b.right.metadata_changes,
        notes_to_add: b.right.notes_to_add,
      });
    });
  return router;
};

const readBody = (req: IncomingMessage, maxBytes: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new HttpError(413, `the request body must be at most ${maxBytes} bytes`, { Connection: 'close' }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(new HttpError(413, `the request body must be at most ${maxBytes} bytes`, { Connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });

const parseJsonBody = (req: IncomingMessage, raw: Buffer): unknown => {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'the request body must be application/json');
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(422, [{ path: '$', rule: 'must be a JSON document' }]);
  }
};

const API_PREFIX = '/api/v1';
const isApiPath = (pathname: string): boolean => pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`);

/**
 * The request listener of the HTTP server: routing, auth, decoding, JSON errors `{detail}` (never a
 * stack trace) and request logging at debug level (method, route template, status, duration; no
 * bodies, no query strings: they can hold personal data).
 */
export const createRequestHandler = (deps: ApiDependencies): ((req: IncomingMessage, res: ServerResponse) => void) => {
  const router = buildRouter(deps);
  const maxBodyBytes = deps.maxBodyBytes ?? 1024 * 1024;
  const token = deps.apiToken === undefined || deps.apiToken === '' ? undefined : deps.apiToken;

  const send = (req: IncomingMessage, res: ServerResponse, reply: Reply): void => {
    if (res.headersSent) return;
    const text =
      reply.body === undefined ? '' : reply.contentType !== undefined && typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const headers: Record<string, string | number> = {
      'Content-Type': reply.contentType ?? 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...reply.headers,
    };
    res.writeHead(reply.status, headers);
    res.end(req.method === 'HEAD' ? undefined : text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, setRoute: (r: string) => void): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      send(req, res, problem(400, 'malformed request target'));
      return;
    }
    if (token !== undefined && isApiPath(url.pathname)) {
      const presented = bearerToken(req.headers.authorization);
      if (presented === undefined || !tokenMatches(presented, token)) {
        setRoute('unauthorized');
        send(req, res, { status: 401, body: { detail: 'missing or invalid bearer token' }, headers: { 'WWW-Authenticate': 'Bearer' } });
        req.resume();
        return;
      }
    }
    const match = router.match(method === 'HEAD' ? 'GET' : method, url.pathname);
    if (match.kind === 'malformed') {
      send(req, res, problem(400, 'malformed URL path'));
      return;
    }
    if (match.kind === 'not-found') {
      send(req, res, problem(404, 'not found'));
      req.resume();
      return;
    }
    if (match.kind === 'method-not-allowed') {
      const allow: string[] = [...match.allow];
      if (allow.includes('GET')) allow.push('HEAD');
      send(req, res, { status: 405, body: { detail: `method ${method} not allowed` }, headers: { Allow: allow.join(', ') } });
      req.resume();
      return;
    }
    setRoute(match.route.template);
    let bodyPromise: Promise<unknown> | undefined;
    const ctx: RequestContext = {
      params: match.params,
      query: url.searchParams,
      body: () => (bodyPromise ??= readBody(req, maxBodyBytes).then((raw) => parseJsonBody(req, raw))),
    };
    const reply = await match.route.handler(ctx);
    if (bodyPromise === undefined) req.resume();
    send(req, res, reply);
  };

  return (req, res) => {
    const started = process.hrtime.bigint();
    let route = 'unmatched';
    res.on('finish', () => {
      deps.logger.debug(
        { method: req.method, route, status: res.statusCode, duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100 },
        'http request',
      );
    });
    handle(req, res, (r) => (route = r)).catch((error: unknown) => {
      if (error instanceof HttpError) {
        send(req, res, { status: error.status, body: { detail: error.detail }, headers: error.headers });
        return;
      }
      if (isDatabaseError(error)) {
        deps.logger.warn({ method: req.method, route, error: describeError(error) }, 'http request failed: database unavailable');
        send(req, res, problem(503, 'the database is unavailable; try again'));
        return;
      }
      deps.logger.error({ method: req.method, route, error: describeError(error) }, 'http request failed');
      send(req, res, problem(500, 'internal error'));
    });
  };
};
