import { expect } from 'chai';
import { apiRoutes, rawRequest, startHarness, tokensOf, type Harness } from './harness.js';

/**
 * The token check against hostile request targets: every protected route of the router, its path
 * rewritten in every way a path can be disguised, sent byte for byte (node:http, not fetch), with
 * every method. Nothing may answer but 401 or 404, and no handler may run.
 */

const TOKEN = 'auth-spec-token-0123456789abcdef0123';
const SECRET = 'SECRET-BIRTHDATE-1970';

/** A value for each path parameter that the fake database knows, so a request that got through would answer data. */
const PARAMS: Record<string, string> = { case_id: 'c1', company_id: 'co1', document_requirement_id: 'd1', command_id: 'cmd-1' };

const protectedRoutes = apiRoutes()
  .filter((r) => r.access !== 'public')
  .map((r) => ({ method: r.method, template: r.template, path: r.template.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name]!) }));

const hex = (ch: string, upper: boolean): string => {
  const h = ch.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? h.toUpperCase() : h}`;
};
const encodeAll = (segment: string, upper: boolean): string => [...segment].map((ch) => hex(ch, upper)).join('');
const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Every disguise of `path` (segments joined by "/") that a router could resolve to it, or to another route. */
const disguises = (path: string, port: number): string[] => {
  const segments = path.split('/').slice(1);
  const join = (segs: readonly string[]) => `/${segs.join('/')}`;
  const eachSegment = (rewrite: (s: string) => string) => segments.map((_, i) => join(segments.map((s, j) => (i === j ? rewrite(s) : s))));
  const rest = path.slice(1);
  return [
    path,
    `${path}/`,
    `${path}//`,
    // percent-encoded, one character, whole segments, either case of hex digits
    ...eachSegment((s) => `${hex(s[0]!, false)}${s.slice(1)}`),
    ...eachSegment((s) => encodeAll(s, false)),
    ...eachSegment((s) => encodeAll(s, true)),
    // double-encoded
    ...eachSegment((s) => `%25${hex(s[0]!, true).slice(1)}${s.slice(1)}`),
    // dot segments, raw and encoded, also behind a public prefix
    `/x/../${rest}`,
    `/x/%2e%2e/${rest}`,
    `/x/%2E%2E/${rest}`,
    `/health/../${rest}`,
    `/health/%2e%2e/${rest}`,
    `/health/live/../../${rest}`,
    `${path}/.`,
    `${path}/..`,
    ...segments.map((_, i) => join([...segments.slice(0, i), '.', ...segments.slice(i)])),
    ...segments.map((_, i) => join([...segments.slice(0, i), '%2e', ...segments.slice(i)])),
    // repeated slashes
    `/${path}`,
    ...segments.slice(1).map((_, i) => join([...segments.slice(0, i + 1), '', ...segments.slice(i + 1)])),
    // case variants
    path.toUpperCase(),
    ...eachSegment(capitalise),
    // ; parameters
    ...eachSegment((s) => `${s};x`),
    `${path};`,
    `/api;jsessionid=1/${segments.slice(1).join('/')}`,
    // separators that other routers treat as "/"
    `/${segments.join('\\')}`,
    `/${segments.join('%2F')}`,
    `/${segments.join('%5C')}`,
    // absolute-form target, query and fragment tricks
    `http://127.0.0.1:${port}${path}`,
    `${path}?/health`,
    `${path}#/health`,
    `${path}%00`,
    `${path}%20`,
  ];
};

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE'];

/** Runs `tasks` at most `n` at a time. */
const inBatches = async <A>(tasks: (() => Promise<A>)[], n: number): Promise<A[]> => {
  const out: A[] = [];
  for (let i = 0; i < tasks.length; i += n) out.push(...(await Promise.all(tasks.slice(i, i + n).map((t) => t()))));
  return out;
};

describe('HTTP auth against raw request paths', function () {
  this.timeout(60_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ tokens: tokensOf({ 'api-token': [TOKEN, 'write'] }) });
    h.queries.cases = [{ id: 'c1', client_id: SECRET }];
    h.queries.persons = [{ id: 'p1', case_id: 'c1', birthdate: SECRET }];
    h.queries.companies = [{ id: 'co1', case_id: 'c1', registered_name: SECRET }];
    h.queries.owners = [{ id: 'o1', company_id: 'co1', birthdate: SECRET }];
    h.queries.documents = [{ id: 'd1', case_id: 'c1', notes: [SECRET] }];
    h.queries.events = [
      { event_id: 'e1', aggregate_id: 'c1', payload: { birthdate: SECRET } },
      {
        event_id: 'n1',
        event_type: 'NotificationRequired',
        aggregate_id: 'c1',
        payload: { recipient_details: { primary_contact_name: SECRET } },
      },
    ];
    h.queries.raw = [{ id: 'r1', payload: { birthdate: SECRET } }];
    h.queries.commands.set('cmd-1', { case_id: 'c1', view: { status: 'rejected', reason: SECRET } });
  });
  after(async () => {
    await h.server.close();
  });

  it('derives a non-trivial list of protected routes from the router, every /api/v1 route among them', () => {
    const templates = protectedRoutes.map((r) => r.template);
    expect(templates).to.include.members([
      '/api/v1/cases',
      '/api/v1/cases/{case_id}/notifications',
      '/api/v1/events/raw',
      '/api/v1/documents/{document_requirement_id}/status',
      '/metrics',
      '/openapi.json',
    ]);
    expect(templates.filter((t) => t.startsWith('/api/v1/'))).to.have.length(17);
    expect(templates.some((t) => t.startsWith('/health'))).to.equal(false);
  });

  for (const route of protectedRoutes) {
    it(`${route.method} ${route.template}: every disguised path with every method answers 401 or 404 without data, and runs no handler`, async () => {
      const callsBefore = h.queries.calls.length;
      const requests = disguises(route.path, h.server.port).flatMap((path) =>
        [route.method, ...METHODS].flatMap((method) =>
          ([{}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${TOKEN}` }] as Record<string, string>[]).map(
            (headers) => async () => ({
              method,
              path,
              headers,
              answer: await rawRequest(
                h.server.port,
                method,
                path,
                { ...headers, 'content-type': 'application/json' },
                method === 'GET' || method === 'HEAD' ? undefined : '{}',
              ),
            }),
          ),
        ),
      );
      const results = await inBatches(requests, 32);
      const leaks = results.filter(({ answer }) => ![401, 404].includes(answer.status) || answer.text.includes(SECRET));
      expect(
        leaks.map(
          ({ method, path, headers, answer }) =>
            `${method} ${path} ${JSON.stringify(headers)} -> ${answer.status} ${answer.text.slice(0, 80)}`,
        ),
      ).to.deep.equal([]);
      expect(h.queries.calls.slice(callsBefore), 'no handler ran').to.deep.equal([]);
      expect(h.commands.published).to.deep.equal([]);
    });
  }

  it('targets that node:http itself refuses never reach a route: 400 from the parser, without a body', async () => {
    for (const route of protectedRoutes) {
      const target = route.path.replaceAll('/', '\\');
      const r = await rawRequest(h.server.port, route.method, target);
      expect(r, target).to.deep.include({ status: 400, text: '' });
    }
    expect(h.queries.calls).to.deep.equal([]);
  });

  it('serves the same normalised path to an authenticated caller, so the check and the route can never disagree', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/%61pi/v1/cases', '/api/%761/events/raw', '/api/v1/cases/', '/api/v1/%63ases/%63%31']) {
      const r = await rawRequest(h.server.port, 'GET', path, auth);
      expect(r.status, path).to.equal(200);
    }
    for (const path of ['/x/../api/v1/cases', '/api/v1/./cases', '/api/v1/cases/%2e%2e', '/api/v1/cases/a%2Fb']) {
      expect((await rawRequest(h.server.port, 'GET', path, auth)).status, path).to.equal(400);
    }
    for (const path of ['//api/v1/cases', '/api//v1/cases', '/API/V1/cases', '/api;x/v1/cases', '/%2561pi/v1/cases']) {
      expect((await rawRequest(h.server.port, 'GET', path, auth)).status, path).to.equal(404);
    }
  });
});
