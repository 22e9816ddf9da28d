/**
 * A tiny path router for node:http: routes are `METHOD /literal/{param}/literal` templates; a path
 * matches a template segment by segment (a `{param}` matches one non-empty segment). Literal
 * templates win over templates with parameters at the same position, so
 * `/documents/determine-requirements` is not mistaken for `/documents/{id}`.
 *
 * The router applies the one normalisation of a request path (see `pathSegments`), and every route
 * says who may use it (anyone, or a token with a scope), so the caller decides authorization on the
 * very route that will serve the request.
 */

import type { Scope } from './scopes.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/**
 * Who a route serves when tokens are configured: anyone (`public`), or a caller whose token grants
 * the scope. A route that declares nothing needs `write`: a new route is closed until its author opens it.
 */
export type Access = 'public' | Scope;

export interface Route<H> {
  readonly method: Method;
  readonly template: string;
  readonly handler: H;
  readonly access: Access;
}

export type RouteMatch<H> =
  | { readonly kind: 'found'; readonly route: Route<H>; readonly params: Record<string, string> }
  /** The path exists with other methods; `access` is public only when every route of the path is. */
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly Method[]; readonly access: 'public' | 'protected' }
  | { readonly kind: 'not-found' }
  /** The path breaks the normalisation rule (bad percent-encoding, a dot segment, an encoded `/`...). */
  | { readonly kind: 'malformed' };

/** True when the request may be served without the API token. */
export const isPublic = (match: RouteMatch<unknown>): boolean =>
  (match.kind === 'found' && match.route.access === 'public') || (match.kind === 'method-not-allowed' && match.access === 'public');

interface Compiled<H> {
  readonly route: Route<H>;
  /** A literal segment, or `{name}` as `{param: name}`. */
  readonly segments: readonly (string | { readonly param: string })[];
}

const compile = <H>(route: Route<H>): Compiled<H> => ({
  route,
  segments: route.template
    .split('/')
    .slice(1)
    .map((s) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(s);
      return m ? { param: m[1]! } : s;
    }),
});

/** A path separator (`/`, a backslash) or a control character: never part of a decoded segment. */
const isForbiddenInSegment = (ch: string): boolean => {
  const c = ch.charCodeAt(0);
  return ch === '/' || ch === '\\' || c < 0x20 || c === 0x7f;
};

const decodeSegment = (raw: string): string | undefined => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return decoded === '.' || decoded === '..' || [...decoded].some(isForbiddenInSegment) ? undefined : decoded;
};

/**
 * The one normalisation of a request path, used alike for authorization and routing: one trailing
 * `/` is dropped, the path is split on `/` BEFORE percent-decoding, and each segment is decoded
 * exactly once. Dot segments (`.`, `..`, raw or encoded) are refused rather than resolved, and so is
 * a segment whose decoded form holds `/`, `\` or a control character: undefined. Nothing else is
 * rewritten: an empty segment (`//`) stays empty, `;` is an ordinary character and literal segments
 * compare case-sensitively, so such paths simply match no route.
 */
export const pathSegments = (path: string): string[] | undefined => {
  if (!path.startsWith('/')) return undefined;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments: string[] = [];
  for (const raw of trimmed.slice(1).split('/')) {
    const decoded = decodeSegment(raw);
    if (decoded === undefined) return undefined;
    segments.push(decoded);
  }
  return segments;
};

/** The path and query of a request target; only origin-form (`/path?query`) targets have a path. */
export const splitTarget = (target: string): { readonly path: string; readonly query: URLSearchParams } => {
  const q = target.indexOf('?');
  return q < 0
    ? { path: target, query: new URLSearchParams() }
    : { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
};

/** How specific a template is: literal segments first, compared left to right. */
const specificity = (c: Compiled<unknown>): string => c.segments.map((s) => (typeof s === 'string' ? '0' : '1')).join('');

export interface RouteOptions {
  /** Default `write`. */
  readonly access?: Access;
}

export class Router<H> {
  private readonly routes: Compiled<H>[] = [];

  add(method: Method, template: string, handler: H, options: RouteOptions = {}): this {
    if (!template.startsWith('/')) throw new Error(`route template must start with /: ${template}`);
    if (this.routes.some((r) => r.route.method === method && r.route.template === template)) {
      throw new Error(`route ${method} ${template} is defined twice`);
    }
    this.routes.push(compile({ method, template, handler, access: options.access ?? 'write' }));
    this.routes.sort((a, b) => specificity(a).localeCompare(specificity(b)));
    return this;
  }

  list(): readonly Route<H>[] {
    return this.routes.map((r) => r.route);
  }

  /** Matches a raw request path (before any decoding) after the normalisation of `pathSegments`. */
  match(method: string, path: string): RouteMatch<H> {
    const segments = pathSegments(path);
    if (segments === undefined) return { kind: 'malformed' };
    const others: Route<H>[] = [];
    for (const c of this.routes) {
      const params = matchSegments(c.segments, segments);
      if (params === undefined) continue;
      if (c.route.method === method) return { kind: 'found', route: c.route, params };
      others.push(c.route);
    }
    if (others.length === 0) return { kind: 'not-found' };
    return {
      kind: 'method-not-allowed',
      allow: [...new Set(others.map((r) => r.method))],
      access: others.every((r) => r.access === 'public') ? 'public' : 'protected',
    };
  }
}

const matchSegments = (template: Compiled<unknown>['segments'], segments: readonly string[]): Record<string, string> | undefined => {
  if (template.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i += 1) {
    const t = template[i]!;
    const s = segments[i]!;
    if (typeof t === 'string') {
      if (t !== s) return undefined;
    } else {
      if (s === '') return undefined;
      params[t.param] = s;
    }
  }
  return params;
};
