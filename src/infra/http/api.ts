import { context } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { decodeCaseCommand, type CaseCommand, type LegalHoldCommand } from '../../domain/caseCommand.js';
import type { FieldError } from '../../domain/rejection.js';
import {
  closeCaseBody,
  decode,
  determineRequirementsBody,
  documentFilterQuery,
  erasureBody,
  idempotencyKeyHeader,
  legalHoldBody,
  pageQuery,
  pathId,
  updateDocumentStatusBody,
} from './apiCodecs.js';
import { DEFAULT_API_LIMITS, type ApiLimits } from './apiLimits.js';
import { ANONYMOUS, bearerToken, type Actor, type ApiTokens } from './apiTokens.js';
import type { CommandPublisher } from './commandPublisher.js';
import type { HealthReport, LivenessReport, StalledPartition } from './health.js';
import { parseJsonBody } from './jsonBody.js';
import { openApiDocument } from './openapi.js';
import type { ApiQueries } from '../mongo/caseQueries.js';
import { requestFingerprint } from './requestFingerprint.js';
import { isPublic, Router, splitTarget, type Method } from './router.js';
import { grants } from './scopes.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.js';
import { describeError } from '../../lib/errors.js';
import { startRequestSpan } from './requestSpan.js';

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
  /** `down` (503) when only a restart can help (a Kafka consumer dead for good); ok when absent. */
  readonly live?: () => LivenessReport;
  /** Partitions without progress for PARTITION_STALL_MS: /health/ready then answers 200 `degraded`, naming them. */
  readonly stalled?: () => readonly StalledPartition[];
  /** The Prometheus text exposition. */
  readonly metrics: () => string | Promise<string>;
  /**
   * When set, every route but the public ones (/health, /health/live, /health/ready) requires
   * `Authorization: Bearer <token>` with a known token whose scope the route needs; unset, every
   * caller is ANONYMOUS.
   */
  readonly tokens?: ApiTokens;
  readonly logger: HttpLogger;
  /** Bounds on requests (default DEFAULT_API_LIMITS). */
  readonly limits?: Partial<ApiLimits>;
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
  readonly method: Method;
  /** The template of the matched route. */
  readonly template: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Who asks: the authenticated token's actor, ANONYMOUS without tokens or on a public route. */
  readonly actor: Actor;
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

const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});
const problem = (status: number, detail: unknown): Reply => json(status, { detail });
const accepted = (command_id: string): Reply =>
  json(202, { command_id }, { Location: `/api/v1/commands/${encodeURIComponent(command_id)}` });
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
const decodeParts = <A>(codec: t.Type<A, unknown, unknown>, input: unknown): E.Either<Reply, A> => E.mapLeft(invalid)(decode(codec, input));

/** The field errors of several decodings together (path parameters, query, body), in that order. */
const errorsOf = (...results: E.Either<FieldError[], unknown>[]): FieldError[] => results.flatMap((r) => (E.isLeft(r) ? r.left : []));

/** Database driver errors are "unavailable" (503), everything else a 500. */
const isDatabaseError = (error: unknown): boolean => error instanceof Error && /^Mongo/.test(error.name);

/** One line, bounded: an error as a log field of the API. */
const errorLine = (error: unknown): string =>
  `${error instanceof Error ? `${error.name}: ` : ''}${describeError(error)}`.split('\n')[0]!.slice(0, 300);

const withTimeout = <A>(p: Promise<A>, ms: number, what: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<A>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

/** A route served without a token. */
const PUBLIC = { access: 'public' } as const;
/** A route served to read tokens (and write tokens); command routes declare nothing: they need write. */
const READ = { access: 'read' } as const;
/** A route that erases personal data or holds a case: only admin tokens. */
const ADMIN = { access: 'admin' } as const;

interface Idempotency {
  readonly key: string;
  readonly request_hash: string;
}

/** The routes of the API; exported for the OpenAPI test (every route documented) and the auth tests (every protected route). */
export const buildRouter = (deps: ApiDependencies): Router<Handler> => {
  const q = deps.queries;
  const limits = { ...DEFAULT_API_LIMITS, ...deps.limits };
  const page = pageQuery(limits.maxPageSize, limits.maxSkip);
  const keyHeader = idempotencyKeyHeader(limits.maxIdempotencyKeyLength);
  const openApi = openApiDocument(limits);
  const newCommandId = deps.newCommandId ?? randomUUID;
  const now = deps.now ?? (() => new Date());
  const checkTimeoutMs = deps.checkTimeoutMs ?? 5000;

  /** The request's Idempotency-Key (when it sent one) with the fingerprint the key is bound to, its actor included. */
  const idempotencyOf = (ctx: RequestContext, key: string | undefined, body: unknown): Idempotency | undefined =>
    key === undefined ? undefined : { key, request_hash: requestFingerprint(ctx.actor.name, ctx.method, ctx.template, ctx.params, body) };

  /**
   * Claims the Idempotency-Key (a key already bound answers the earlier command, or 409 for another
   * request), records the pending result, publishes, answers 202; a failed publish frees both and
   * answers 503. A command the command decoder refuses (a bound of the Kafka path) is a 422.
   */
  const submit = async (command: CaseCommand, idempotency: Idempotency | undefined, actor: Actor): Promise<Reply> => {
    const checked = decodeCaseCommand(command);
    if (E.isLeft(checked)) return invalid(checked.left);
    if (idempotency !== undefined) {
      const claim = await q.claimIdempotencyKey(idempotency.key, idempotency.request_hash, command.command_id, now());
      if (claim.kind === 'conflict') return problem(409, 'this Idempotency-Key was already used for a different request');
      if (claim.kind === 'replay') return accepted(claim.command_id);
    }
    // A key must never stay bound to a command that was not published: a retry would be told it was.
    const releaseKey = () =>
      idempotency === undefined ? Promise.resolve() : q.releaseIdempotencyKey(idempotency.key, command.command_id).catch(() => undefined);
    try {
      await q.accept(command.command_id, command.case_id, now());
    } catch (error) {
      await releaseKey();
      throw error;
    }
    try {
      await deps.commands.publish(checked.right);
    } catch (error) {
      deps.logger.warn(
        { command_id: command.command_id, case_id: command.case_id, error: errorLine(error) },
        'command could not be published',
      );
      await q.forget(command.command_id).catch(() => undefined);
      await releaseKey();
      return problem(503, 'the command could not be published; try again');
    }
    deps.logger.info(
      { command_id: command.command_id, command_type: command.command_type, case_id: command.case_id, actor: actor.name },
      'command accepted',
    );
    return accepted(command.command_id);
  };

  const idempotencyKeyOf = (ctx: RequestContext) => decode(keyHeader, { headers: { 'idempotency-key': ctx.headers['idempotency-key'] } });

  const one =
    (param: string, what: string, find: (id: string) => Promise<unknown>): Handler =>
    async (ctx) => {
      const p = decodeParts(pathId(param), { path: ctx.params });
      if (E.isLeft(p)) return p.left;
      const id = (p.right.path as Record<string, string>)[param]!;
      const found = await find(id);
      return found === undefined ? notFound(what) : json(200, found);
    };

  const many =
    (param: string, find: (id: string) => Promise<unknown>): Handler =>
    async (ctx) => {
      const p = decodeParts(pathId(param), { path: ctx.params });
      if (E.isLeft(p)) return p.left;
      return json(200, await find((p.right.path as Record<string, string>)[param]!));
    };

  const paged =
    (find: (page: { limit: number; skip: number }) => Promise<unknown>): Handler =>
    async (ctx) => {
      const p = decodeParts(page, { query: queryObject(ctx.query) });
      if (E.isLeft(p)) return p.left;
      return json(200, await find(p.right.query));
    };

  /** Places or lifts a case's legal hold, with the body's reason; the token is who does it. */
  const legalHold =
    (command_type: LegalHoldCommand['command_type']): Handler =>
    async (ctx) => {
      const p = decode(pathId('case_id'), { path: ctx.params });
      const body = await ctx.body();
      const b = decode(legalHoldBody, body);
      const k = idempotencyKeyOf(ctx);
      if (E.isLeft(p) || E.isLeft(b) || E.isLeft(k)) return invalid(errorsOf(p, b, k));
      const case_id = p.right.path.case_id;
      if ((await q.getCase(case_id)) === undefined) return notFound('case');
      const base = { command_id: newCommandId(), case_id, reason: b.right.reason };
      return submit(
        command_type === 'PlaceLegalHold'
          ? { command_type, ...base, placed_by: ctx.actor.name }
          : { command_type, ...base, lifted_by: ctx.actor.name },
        idempotencyOf(ctx, k.right.headers['idempotency-key'], body),
        ctx.actor,
      );
    };

  const router = new Router<Handler>();
  router
    .add(
      'GET',
      '/health',
      async () => {
        try {
          const report = await withTimeout(deps.health(), checkTimeoutMs, 'the health check');
          return json(report.status === 'down' ? 503 : 200, report);
        } catch (error) {
          deps.logger.warn({ error: errorLine(error) }, 'health check failed');
          return problem(503, 'the health check failed');
        }
      },
      PUBLIC,
    )
    .add(
      'GET',
      '/health/live',
      async () => {
        const live = deps.live?.() ?? { status: 'ok' };
        return json(live.status === 'ok' ? 200 : 503, live);
      },
      PUBLIC,
    )
    .add(
      'GET',
      '/health/ready',
      async () => {
        let ready = false;
        try {
          ready = await withTimeout(deps.ready(), checkTimeoutMs, 'the readiness check');
        } catch (error) {
          deps.logger.warn({ error: errorLine(error) }, 'readiness check failed');
        }
        if (!ready) return problem(503, 'not ready');
        // a stalled partition does not stop the API: the instance stays in rotation, its stall named
        const stalled = deps.stalled?.() ?? [];
        return json(200, stalled.length === 0 ? { status: 'ready' } : { status: 'degraded', stalled });
      },
      PUBLIC,
    )
    .add('GET', '/metrics', async () => ({ status: 200, body: await deps.metrics(), contentType: PROMETHEUS_CONTENT_TYPE }), READ)
    .add('GET', '/openapi.json', async () => json(200, openApi), READ)
    .add(
      'GET',
      '/api/v1/cases',
      paged((page) => q.listCases(page)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/cases/{case_id}',
      one('case_id', 'case', (id) => q.getCase(id)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/cases/{case_id}/events',
      many('case_id', (id) => q.caseEvents(id)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/cases/{case_id}/notifications',
      async (ctx) => {
        const p = decode(pathId('case_id'), { path: ctx.params });
        const g = decode(page, { query: queryObject(ctx.query) });
        if (E.isLeft(p) || E.isLeft(g)) return invalid(errorsOf(p, g));
        const notifications = await q.caseNotifications(p.right.path.case_id, g.right.query);
        return notifications === undefined ? notFound('case') : json(200, notifications);
      },
      READ,
    )
    .add(
      'GET',
      '/api/v1/persons/case/{case_id}',
      many('case_id', (id) => q.personsOfCase(id)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/companies/{company_id}',
      one('company_id', 'company', (id) => q.getCompany(id)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/companies/{company_id}/beneficial-owners',
      many('company_id', (id) => q.beneficialOwners(id)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/documents/{document_requirement_id}',
      one('document_requirement_id', 'document requirement', (id) => q.getDocumentRequirement(id)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/documents/case/{case_id}',
      async (ctx) => {
        const p = decode(pathId('case_id'), { path: ctx.params });
        const f = decode(documentFilterQuery, { query: queryObject(ctx.query) });
        if (E.isLeft(p) || E.isLeft(f)) return invalid(errorsOf(p, f));
        const filter = Object.fromEntries(Object.entries(f.right.query).filter(([, v]) => v !== undefined));
        return json(200, await q.documentRequirementsOfCase(p.right.path.case_id, filter));
      },
      READ,
    )
    .add(
      'GET',
      '/api/v1/events/raw',
      paged((page) => q.rawEvents(page)),
      READ,
    )
    .add(
      'GET',
      '/api/v1/commands/{command_id}',
      one('command_id', 'command', (id) => q.status(id)),
      READ,
    )
    .add('POST', '/api/v1/cases/{case_id}/close', async (ctx) => {
      const p = decode(pathId('case_id'), { path: ctx.params });
      const body = await ctx.body();
      const b = decode(closeCaseBody, body);
      const k = idempotencyKeyOf(ctx);
      if (E.isLeft(p) || E.isLeft(b) || E.isLeft(k)) return invalid(errorsOf(p, b, k));
      const case_id = p.right.path.case_id;
      if ((await q.getCase(case_id)) === undefined) return notFound('case');
      return submit(
        { command_type: 'CloseCase', command_id: newCommandId(), case_id, reason: b.right.reason, closed_by: ctx.actor.name },
        idempotencyOf(ctx, k.right.headers['idempotency-key'], body),
        ctx.actor,
      );
    })
    .add(
      'POST',
      '/api/v1/cases/{case_id}/erasures',
      async (ctx) => {
        const p = decode(pathId('case_id'), { path: ctx.params });
        const body = await ctx.body();
        const b = decode(erasureBody, body);
        const k = idempotencyKeyOf(ctx);
        if (E.isLeft(p) || E.isLeft(b) || E.isLeft(k)) return invalid(errorsOf(p, b, k));
        const case_id = p.right.path.case_id;
        if ((await q.getCase(case_id)) === undefined) return notFound('case');
        const { subject, reason } = b.right;
        return submit(
          { command_type: 'EraseSubject', command_id: newCommandId(), case_id, subject, reason, requested_by: ctx.actor.name },
          idempotencyOf(ctx, k.right.headers['idempotency-key'], body),
          ctx.actor,
        );
      },
      ADMIN,
    )
    .add('POST', '/api/v1/cases/{case_id}/legal-hold', legalHold('PlaceLegalHold'), ADMIN)
    .add('DELETE', '/api/v1/cases/{case_id}/legal-hold', legalHold('LiftLegalHold'), ADMIN)
    .add('POST', '/api/v1/documents/determine-requirements', async (ctx) => {
      const body = await ctx.body();
      const b = decode(determineRequirementsBody, body);
      const k = idempotencyKeyOf(ctx);
      if (E.isLeft(b) || E.isLeft(k)) return invalid(errorsOf(b, k));
      if ((await q.getCase(b.right.case_id)) === undefined) return notFound('case');
      return submit(
        {
          command_type: 'DetermineDocumentRequirements',
          command_id: newCommandId(),
          case_id: b.right.case_id,
          entity_id: b.right.entity_id,
          entity_type: b.right.entity_type,
        },
        idempotencyOf(ctx, k.right.headers['idempotency-key'], body),
        ctx.actor,
      );
    })
    .add('PUT', '/api/v1/documents/{document_requirement_id}/status', async (ctx) => {
      const p = decode(pathId('document_requirement_id'), { path: ctx.params });
      const body = await ctx.body();
      const b = decode(updateDocumentStatusBody, body);
      const k = idempotencyKeyOf(ctx);
      if (E.isLeft(p) || E.isLeft(b) || E.isLeft(k)) return invalid(errorsOf(p, b, k));
      const id = p.right.path.document_requirement_id;
      const requirement = await q.getDocumentRequirement(id);
      const case_id = requirement?.case_id;
      if (requirement === undefined || typeof case_id !== 'string') return notFound('document requirement');
      return submit(
        {
          command_type: 'UpdateDocumentStatus',
          command_id: newCommandId(),
          case_id,
          document_requirement_id: id,
          new_status: b.right.new_status,
          // the authenticated caller, never a body field (the body codec refuses those)
          updated_by_actor_type: ctx.actor.type,
          updated_by_actor_id: ctx.actor.name,
          metadata_changes: b.right.metadata_changes,
          notes_to_add: b.right.notes_to_add,
        },
        idempotencyOf(ctx, k.right.headers['idempotency-key'], body),
        ctx.actor,
      );
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

/** `application/json` or a `+json` type, parameters aside; a body without a Content-Type is not JSON. */
const isJsonContentType = (header: string | undefined): boolean => {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
};

/** The body as JSON: 415 unless the request says it is JSON, 422 unless it is JSON the API can take. */
const readJsonBody = async (req: IncomingMessage, limits: ApiLimits): Promise<unknown> => {
  if (!isJsonContentType(req.headers['content-type'])) {
    req.resume();
    throw new HttpError(415, 'the request body must be application/json');
  }
  const raw = await readBody(req, limits.maxBodyBytes);
  const parsed = parseJsonBody(raw.toString('utf8'), { maxDepth: limits.maxJsonDepth, maxErrors: limits.maxErrorDetails });
  if (E.isLeft(parsed)) throw new HttpError(422, parsed.left);
  return parsed.right;
};

const unauthorized: Reply = { status: 401, body: { detail: 'missing or invalid bearer token' }, headers: { 'WWW-Authenticate': 'Bearer' } };

/** A known token without the scope the route needs (RFC 6750's insufficient_scope): names the scope, nothing about tokens. */
const forbidden = (scope: string): Reply => ({
  status: 403,
  body: { detail: `this route needs a token with the ${scope} scope` },
  headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
});

/** The methods a path answers: HEAD with GET, and OPTIONS always. */
const allowHeader = (methods: readonly Method[]): string =>
  [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');

/**
 * The request listener of the HTTP server: routing, auth, decoding, JSON errors `{detail}` (never a
 * stack trace) and request logging at debug level (method, route template, status, duration, the
 * actor's name; no bodies, no query strings: they can hold personal data; never a token).
 *
 * Auth is decided on the route the router matched, after its one normalisation of the path: with
 * tokens configured, a request without a known one gets 401 for everything but a public route,
 * whether the path is protected, unknown, malformed or known with another method, so an
 * unauthenticated caller learns nothing about what exists. A known token without the scope of the
 * route it asks for gets 403. Authenticated callers (or every caller without tokens) get 400
 * (malformed path), 404, 405 with `Allow`, or 204 with `Allow` for OPTIONS.
 */
export const createRequestHandler = (deps: ApiDependencies): ((req: IncomingMessage, res: ServerResponse) => void) => {
  const router = buildRouter(deps);
  const limits = { ...DEFAULT_API_LIMITS, ...deps.limits };
  const tokens = deps.tokens;

  const send = (req: IncomingMessage, res: ServerResponse, reply: Reply): void => {
    if (res.headersSent) return;
    const text =
      reply.body === undefined
        ? ''
        : reply.contentType !== undefined && typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body);
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

  /** Answers without reading the request body (which is drained). */
  const refuse = (req: IncomingMessage, res: ServerResponse, reply: Reply): void => {
    send(req, res, reply);
    req.resume();
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    setRoute: (r: string) => void,
    setActor: (a: Actor) => void,
  ): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const { path, query } = splitTarget(req.url ?? '/');
    const match = router.match(method === 'HEAD' ? 'GET' : method, path);
    const actor = tokens === undefined || isPublic(match) ? ANONYMOUS : tokens.authenticate(bearerToken(req.headers.authorization));
    if (actor === undefined) {
      setRoute('unauthorized');
      refuse(req, res, unauthorized);
      return;
    }
    setActor(actor);
    if (match.kind === 'found' && match.route.access !== 'public' && !grants(actor.scope, match.route.access)) {
      setRoute(match.route.template);
      refuse(req, res, forbidden(match.route.access));
      return;
    }
    if (match.kind === 'malformed') return refuse(req, res, problem(400, 'malformed URL path'));
    if (match.kind === 'not-found') return refuse(req, res, problem(404, 'not found'));
    if (match.kind === 'method-not-allowed') {
      const headers = { Allow: allowHeader(match.allow) };
      if (method === 'OPTIONS') return refuse(req, res, { status: 204, headers });
      return refuse(req, res, { status: 405, body: { detail: `method ${method} not allowed` }, headers });
    }
    setRoute(match.route.template);
    let bodyPromise: Promise<unknown> | undefined;
    const ctx: RequestContext = {
      method: match.route.method,
      template: match.route.template,
      params: match.params,
      query,
      headers: req.headers,
      actor,
      body: () => (bodyPromise ??= readJsonBody(req, limits)),
    };
    const reply = await match.route.handler(ctx);
    if (bodyPromise === undefined) req.resume();
    send(req, res, reply);
  };

  return (req, res) => {
    const started = process.hrtime.bigint();
    let route = 'unmatched';
    let actor: Actor | undefined;
    /** The actor's name as a log field; none when the token was refused. */
    const who = () => (actor === undefined ? {} : { actor: actor.name });
    const span = startRequestSpan(req);
    res.on('finish', () => {
      deps.logger.debug(
        {
          method: req.method,
          route,
          ...who(),
          status: res.statusCode,
          duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
        },
        'http request',
      );
    });
    // 'close' comes after 'finish', and also when the client goes away first.
    if (span !== undefined) res.once('close', () => span.end(route, res.statusCode, actor?.name));
    const serve = () =>
      handle(
        req,
        res,
        (r) => (route = r),
        (a) => (actor = a),
      ).catch((error: unknown) => {
        if (error instanceof HttpError) {
          send(req, res, { status: error.status, body: { detail: error.detail }, headers: error.headers });
          return;
        }
        if (isDatabaseError(error)) {
          deps.logger.warn({ method: req.method, route, ...who(), error: errorLine(error) }, 'http request failed: database unavailable');
          send(req, res, problem(503, 'the database is unavailable; try again'));
          return;
        }
        // The id goes to the caller and into the log line, so a report of a failure finds its cause.
        const error_id = randomUUID();
        deps.logger.error({ error_id, method: req.method, route, ...who(), error: errorLine(error) }, 'http request failed');
        send(req, res, json(500, { detail: 'internal error', error_id }));
      });
    // Handled, and a failure logged, with the request's span active: its log lines carry the trace.
    void (span === undefined ? serve() : context.with(span.context, serve));
  };
};
