/**
 * A tiny path router for node:http: routes are `METHOD /literal/{param}/literal` templates; a path
 * matches a template segment by segment (a `{param}` matches one non-empty segment). Literal
 * templates win over templates with parameters at the same position, so
 * `/documents/determine-requirements` is not mistaken for `/documents/{id}`.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface Route<H> {
  readonly method: Method;
  readonly template: string;
  readonly handler: H;
}

export type RouteMatch<H> =
  | { readonly kind: 'found'; readonly route: Route<H>; readonly params: Record<string, string> }
  /** The path exists with other methods. */
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly Method[] }
  | { readonly kind: 'not-found' }
  /** A segment is not valid percent-encoding. */
  | { readonly kind: 'malformed' };

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

/** Splits a URL path into decoded segments; undefined when a segment is not valid percent-encoding. */
export const pathSegments = (pathname: string): string[] | undefined => {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  try {
    return trimmed.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
};

/** How specific a template is: literal segments first, compared left to right. */
const specificity = (c: Compiled<unknown>): string => c.segments.map((s) => (typeof s === 'string' ? '0' : '1')).join('');

export class Router<H> {
  private readonly routes: Compiled<H>[] = [];

  add(method: Method, template: string, handler: H): this {
    if (!template.startsWith('/')) throw new Error(`route template must start with /: ${template}`);
    if (this.routes.some((r) => r.route.method === method && r.route.template === template)) {
      throw new Error(`route ${method} ${template} is defined twice`);
    }
    this.routes.push(compile({ method, template, handler }));
    this.routes.sort((a, b) => specificity(a).localeCompare(specificity(b)));
    return this;
  }

  list(): readonly Route<H>[] {
    return this.routes.map((r) => r.route);
  }

  match(method: string, pathname: string): RouteMatch<H> {
    const segments = pathSegments(pathname);
    if (segments === undefined) return { kind: 'malformed' };
    const allow = new Set<Method>();
    for (const c of this.routes) {
      const params = matchSegments(c.segments, segments);
      if (params === undefined) continue;
      if (c.route.method === method) return { kind: 'found', route: c.route, params };
      allow.add(c.route.method);
    }
    return allow.size > 0 ? { kind: 'method-not-allowed', allow: [...allow] } : { kind: 'not-found' };
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
