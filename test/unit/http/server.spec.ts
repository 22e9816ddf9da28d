import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { bearerToken } from '../../../src/infra/http/apiTokens.js';
import type { HealthReport } from '../../../src/infra/http/health.js';
import { HOST, jsonBody, okReport, startHarness, tokensOf, type Harness } from './harness.js';

describe('HTTP server (fake database)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.server.close();
  });

  describe('operations routes', () => {
    it('GET /health/live answers ok; HEAD answers without a body', async () => {
      expect(await h.call('/health/live')).to.deep.include({ status: 200, body: { status: 'ok' } });
      const head = await fetch(h.url('/health/live'), { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(await head.text()).to.equal('');
    });

    it('GET /health answers the report: 200 when ok or degraded, 503 when down, 503 {detail} when the check fails', async () => {
      expect(await h.call('/health')).to.deep.include({ status: 200, body: okReport });
      const degraded: HealthReport = {
        ...okReport,
        status: 'degraded',
        components: { ...okReport.components, redis: { status: 'down', detail: 'x' } },
      };
      h.state.health = async () => degraded;
      expect(await h.call('/health')).to.deep.include({ status: 200, body: degraded });
      const down: HealthReport = { ...okReport, status: 'down', components: { ...okReport.components, mongodb: { status: 'down' } } };
      h.state.health = async () => down;
      expect(await h.call('/health')).to.deep.include({ status: 503, body: down });
      h.state.health = async () => {
        throw new Error('secret internals');
      };
      const failed = await h.call('/health');
      expect(failed).to.deep.include({ status: 503, body: { detail: 'the health check failed' } });
      expect(failed.text).not.to.contain('secret');
      h.state.health = () => new Promise(() => undefined);
      expect((await h.call('/health')).status).to.equal(503);
    });

    it('GET /health/ready: 200 when ready, 503 when not, failing or hanging', async () => {
      expect(await h.call('/health/ready')).to.deep.include({ status: 200, body: { status: 'ready' } });
      h.state.ready = async () => false;
      expect(await h.call('/health/ready')).to.deep.include({ status: 503, body: { detail: 'not ready' } });
      h.state.ready = async () => {
        throw new Error('x');
      };
      expect((await h.call('/health/ready')).status).to.equal(503);
      h.state.ready = () => new Promise(() => undefined);
      expect((await h.call('/health/ready')).status).to.equal(503);
    });

    it('GET /metrics answers the text exposition', async () => {
      const r = await h.call('/metrics');
      expect(r.status).to.equal(200);
      expect(r.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      expect(r.text).to.equal('# HELP x X.\n# TYPE x counter\nx 1\n');
    });

    it('GET /openapi.json answers the OpenAPI document', async () => {
      const r = await h.call('/openapi.json');
      expect(r.status).to.equal(200);
      expect(r.body).to.have.property('openapi', '3.0.3');
    });
  });

  describe('routing and errors', () => {
    it('unknown route → 404, wrong method → 405 with Allow, OPTIONS → 204 with Allow, bad percent-encoding → 400; always {detail}', async () => {
      expect(await h.call('/nope')).to.deep.include({ status: 404, body: { detail: 'not found' } });
      expect(await h.call('/api/v1/nope')).to.deep.include({ status: 404, body: { detail: 'not found' } });
      const wrong = await h.call('/api/v1/cases', { method: 'DELETE' });
      expect(wrong).to.deep.include({ status: 405, body: { detail: 'method DELETE not allowed' } });
      expect(wrong.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
      const put = await h.call('/api/v1/documents/determine-requirements', { method: 'PUT' });
      expect(put.status).to.equal(405);
      expect(put.headers.get('allow')).to.equal('POST, GET, HEAD, OPTIONS');
      const options = await h.call('/api/v1/documents/determine-requirements', { method: 'OPTIONS' });
      expect(options).to.deep.include({ status: 204, text: '' });
      expect(options.headers.get('allow')).to.equal('POST, GET, HEAD, OPTIONS');
      expect((await h.call('/nope', { method: 'OPTIONS' })).status).to.equal(404);
      expect(await h.call('/api/v1/cases/%E0%A4%A')).to.deep.include({ status: 400, body: { detail: 'malformed URL path' } });
    });

    it('a database error is a 503, any other failure a 500 with an error id that the log line carries, neither with internals', async () => {
      const mongoError = new Error('connection refused to mongodb://user:pw@host');
      mongoError.name = 'MongoServerSelectionError';
      h.queries.failWith = mongoError;
      const r = await h.call('/api/v1/cases');
      expect(r).to.deep.include({ status: 503, body: { detail: 'the database is unavailable; try again' } });
      h.queries.failWith = new TypeError('cannot read x of undefined');
      const r2 = await h.call('/api/v1/cases/c1');
      expect(r2.status).to.equal(500);
      const { detail, error_id } = r2.body as { detail: string; error_id: string };
      expect(detail).to.equal('internal error');
      expect(error_id).to.match(/^[0-9a-f-]{36}$/);
      expect(r2.text).not.to.match(/TypeError|at |\.ts/);
      const logged = h.logger.lines
        .filter((l) => l.level === 'error')
        .map((l) => l.obj as { route?: string; error_id?: string; error?: string });
      expect(logged).to.have.length(1);
      expect(logged[0]).to.deep.include({ route: '/api/v1/cases/{case_id}', error_id });
      expect(logged[0]!.error).to.contain('TypeError: cannot read x of undefined');
      const r3 = await h.call('/api/v1/cases/c1');
      expect((r3.body as { error_id: string }).error_id, 'one id per failure').not.to.equal(error_id);
    });

    it('logs each request at debug with its route template and status, without query string or body', async () => {
      h.queries.documents.push({ id: 'd1', case_id: 'c1' });
      await h.call('/api/v1/documents/case/c1?entity_id=secret-person');
      await h.call('/api/v1/documents/d1/status', jsonBody('PUT', { new_status: 'UPLOADED', notes_to_add: ['very private note'] }));
      const debug = h.logger.lines.filter((l) => l.level === 'debug');
      expect(debug.map((l) => [(l.obj as { route: string }).route, (l.obj as { status: number }).status])).to.deep.equal([
        ['/api/v1/documents/case/{case_id}', 200],
        ['/api/v1/documents/{document_requirement_id}/status', 202],
      ]);
      const everything = JSON.stringify(h.logger.lines);
      expect(everything).not.to.contain('secret-person');
      expect(everything).not.to.contain('very private note');
    });
  });

  describe('reads', () => {
    beforeEach(() => {
      h.queries.cases = [
        { id: 'c2', client_id: 'b', created_at: new Date('2026-01-02T00:00:00Z') },
        { id: 'c1', client_id: 'a', created_at: new Date('2026-01-01T00:00:00Z') },
      ];
      h.queries.companies = [{ id: 'co1', case_id: 'c2' }];
      h.queries.owners = [{ id: 'o1', company_id: 'co1' }];
      h.queries.persons = [{ id: 'p1', case_id: 'c1' }];
      h.queries.documents = [
        { id: 'd1', case_id: 'c1', entity_id: 'p1', entity_type: 'PERSON', status: 'AWAITING_UPLOAD', is_required: true },
        { id: 'd2', case_id: 'c1', entity_id: 'p1', entity_type: 'PERSON', status: 'UPLOADED', is_required: true },
      ];
      h.queries.events = [{ event_id: 'e1', aggregate_id: 'c1', version: 1, timestamp: new Date('2026-01-01T00:00:00Z') }];
      h.queries.raw = [{ id: 'r1' }];
    });

    it('GET /api/v1/cases pages with limit (default 50, max 500) and skip (max 100000); dates as ISO strings', async () => {
      const r = await h.call('/api/v1/cases');
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.equal([
        { id: 'c2', client_id: 'b', created_at: '2026-01-02T00:00:00.000Z' },
        { id: 'c1', client_id: 'a', created_at: '2026-01-01T00:00:00.000Z' },
      ]);
      expect(h.queries.calls.at(-1)).to.deep.equal({ name: 'listCases', args: [{ limit: 50, skip: 0 }] });
      await h.call('/api/v1/cases?limit=1&skip=1');
      expect(h.queries.calls.at(-1)).to.deep.equal({ name: 'listCases', args: [{ limit: 1, skip: 1 }] });
      expect(await h.call('/api/v1/cases?limit=501&skip=x')).to.deep.include({
        status: 422,
        body: {
          detail: [
            { path: '$.query.limit', rule: 'must be an integer from 1 to 500' },
            { path: '$.query.skip', rule: 'must be an integer from 0 to 100000' },
          ],
        },
      });
    });

    it('single documents answer 404 {detail} when unknown', async () => {
      expect(await h.call('/api/v1/cases/c1')).to.deep.include({
        status: 200,
        body: { id: 'c1', client_id: 'a', created_at: '2026-01-01T00:00:00.000Z' },
      });
      expect(await h.call('/api/v1/cases/zz')).to.deep.include({ status: 404, body: { detail: 'case not found' } });
      expect(await h.call('/api/v1/companies/co1')).to.deep.include({ status: 200, body: { id: 'co1', case_id: 'c2' } });
      expect(await h.call('/api/v1/companies/zz')).to.deep.include({ status: 404, body: { detail: 'company not found' } });
      expect((await h.call('/api/v1/documents/d1')).status).to.equal(200);
      expect(await h.call('/api/v1/documents/zz')).to.deep.include({ status: 404, body: { detail: 'document requirement not found' } });
    });

    it('lists by case or company', async () => {
      expect(await h.call('/api/v1/cases/c1/events')).to.deep.include({
        status: 200,
        body: [{ event_id: 'e1', aggregate_id: 'c1', version: 1, timestamp: '2026-01-01T00:00:00.000Z' }],
      });
      expect(await h.call('/api/v1/persons/case/c1')).to.deep.include({ status: 200, body: [{ id: 'p1', case_id: 'c1' }] });
      expect(await h.call('/api/v1/persons/case/none')).to.deep.include({ status: 200, body: [] });
      expect(await h.call('/api/v1/companies/co1/beneficial-owners')).to.deep.include({
        status: 200,
        body: [{ id: 'o1', company_id: 'co1' }],
      });
      expect(await h.call('/api/v1/events/raw?limit=5')).to.deep.include({ status: 200, body: [{ id: 'r1' }] });
    });

    it('GET /api/v1/documents/case/{case_id} decodes its filters', async () => {
      const r = await h.call('/api/v1/documents/case/c1?status=UPLOADED&is_required=true&entity_type=PERSON&entity_id=p1');
      expect(r.status).to.equal(200);
      expect((r.body as { id: string }[]).map((d) => d.id)).to.deep.equal(['d2']);
      expect(h.queries.calls.at(-1)).to.deep.equal({
        name: 'documentRequirementsOfCase',
        args: ['c1', { entity_id: 'p1', entity_type: 'PERSON', status: 'UPLOADED', is_required: true }],
      });
      await h.call('/api/v1/documents/case/c1');
      expect(h.queries.calls.at(-1)).to.deep.equal({ name: 'documentRequirementsOfCase', args: ['c1', {}] });
      expect(await h.call('/api/v1/documents/case/c1?status=LOST&is_required=1')).to.deep.include({
        status: 422,
        body: {
          detail: [
            {
              path: '$.query.status',
              rule: 'must be one of AWAITING_UPLOAD, UPLOADED, VERIFIED_SYSTEM, VERIFIED_MANUAL, REJECTED, NOT_APPLICABLE',
            },
            { path: '$.query.is_required', rule: 'must be true or false' },
          ],
        },
      });
    });

    it('path parameters are decoded too', async () => {
      expect(await h.call(`/api/v1/cases/${'x'.repeat(201)}`)).to.deep.include({
        status: 422,
        body: { detail: [{ path: '$.path.case_id', rule: 'must be at most 200 characters' }] },
      });
    });
  });

  describe('commands', () => {
    beforeEach(() => {
      h.queries.cases = [{ id: 'c1' }];
      h.queries.documents = [{ id: 'd1', case_id: 'c1' }];
    });

    it('POST determine-requirements records a pending result, publishes the command and answers 202 {command_id}', async () => {
      const r = await h.call(
        '/api/v1/documents/determine-requirements',
        jsonBody('POST', { case_id: 'c1', entity_id: 'p1', entity_type: 'PERSON' }),
      );
      expect(r).to.deep.include({ status: 202, body: { command_id: 'cmd-1' } });
      expect(r.headers.get('location')).to.equal('/api/v1/commands/cmd-1');
      expect(h.commands.published).to.deep.equal([
        { command_type: 'DetermineDocumentRequirements', command_id: 'cmd-1', case_id: 'c1', entity_id: 'p1', entity_type: 'PERSON' },
      ]);
      const acceptIndex = h.queries.calls.findIndex((c) => c.name === 'accept');
      expect(h.queries.calls[acceptIndex]).to.deep.equal({ name: 'accept', args: ['cmd-1', 'c1'] });
      expect(await h.call('/api/v1/commands/cmd-1')).to.deep.include({ status: 200, body: { status: 'pending' } });
    });

    it('POST determine-requirements: 404 for an unknown case, 422 for a bad body, 415 for another media type', async () => {
      expect(
        await h.call(
          '/api/v1/documents/determine-requirements',
          jsonBody('POST', { case_id: 'zz', entity_id: 'p1', entity_type: 'PERSON' }),
        ),
      ).to.deep.include({
        status: 404,
        body: { detail: 'case not found' },
      });
      expect(await h.call('/api/v1/documents/determine-requirements', jsonBody('POST', { entity_type: 'ROBOT' }))).to.deep.include({
        status: 422,
        body: {
          detail: [
            { path: '$.case_id', rule: 'is required' },
            { path: '$.entity_id', rule: 'is required' },
            { path: '$.entity_type', rule: 'must be one of PERSON, COMPANY' },
          ],
        },
      });
      expect(await h.call('/api/v1/documents/determine-requirements', jsonBody('POST', '{not json'))).to.deep.include({
        status: 422,
        body: { detail: [{ path: '$', rule: 'must be a JSON document' }] },
      });
      expect(await h.call('/api/v1/documents/determine-requirements', { method: 'POST' })).to.deep.include({ status: 415 });
      const form = await h.call('/api/v1/documents/determine-requirements', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'case_id=c1',
      });
      expect(form).to.deep.include({ status: 415, body: { detail: 'the request body must be application/json' } });
      expect(h.commands.published).to.have.length(0);
    });

    it('refuses a body above the limit with 413', async () => {
      const small = await startHarness({ limits: { maxBodyBytes: 64 } });
      try {
        const r = await small.call(
          '/api/v1/documents/determine-requirements',
          jsonBody('POST', { case_id: 'c1', entity_id: 'x'.repeat(100), entity_type: 'PERSON' }),
        );
        expect(r).to.deep.include({ status: 413, body: { detail: 'the request body must be at most 64 bytes' } });
      } finally {
        await small.server.close();
      }
    });

    it('PUT status looks the case up from the requirement and publishes UpdateDocumentStatus, by the anonymous actor without tokens', async () => {
      const r = await h.call(
        '/api/v1/documents/d1/status',
        jsonBody('PUT', {
          new_status: 'UPLOADED',
          metadata_changes: { checked: true },
          notes_to_add: ['scan'],
        }),
      );
      expect(r).to.deep.include({ status: 202, body: { command_id: 'cmd-1' } });
      expect(h.commands.published).to.deep.equal([
        {
          command_type: 'UpdateDocumentStatus',
          command_id: 'cmd-1',
          case_id: 'c1',
          document_requirement_id: 'd1',
          new_status: 'UPLOADED',
          updated_by_actor_type: 'ANONYMOUS',
          updated_by_actor_id: 'anonymous',
          metadata_changes: { checked: true },
          notes_to_add: ['scan'],
        },
      ]);
      const minimal = await h.call('/api/v1/documents/d1/status', jsonBody('PUT', { new_status: 'VERIFIED_MANUAL' }));
      expect(minimal.status).to.equal(202);
      expect(h.commands.published[1]).to.deep.include({
        updated_by_actor_type: 'ANONYMOUS',
        updated_by_actor_id: 'anonymous',
        metadata_changes: {},
        notes_to_add: [],
      });
    });

    it('PUT status refuses a body that names an actor, null included, and publishes nothing', async () => {
      const r = await h.call(
        '/api/v1/documents/d1/status',
        jsonBody('PUT', { new_status: 'UPLOADED', updated_by_actor_type: 'USER', updated_by_actor_id: null }),
      );
      const rule = 'must not be sent: the actor recorded is the token the request authenticates with';
      expect(r).to.deep.include({
        status: 422,
        body: {
          detail: [
            { path: '$.updated_by_actor_type', rule },
            { path: '$.updated_by_actor_id', rule },
          ],
        },
      });
      expect(h.commands.published).to.deep.equal([]);
    });

    it('PUT status: 404 for an unknown requirement, 422 naming path and body errors together', async () => {
      expect(await h.call('/api/v1/documents/zz/status', jsonBody('PUT', { new_status: 'UPLOADED' }))).to.deep.include({
        status: 404,
        body: { detail: 'document requirement not found' },
      });
      expect(
        await h.call(`/api/v1/documents/${'x'.repeat(201)}/status`, jsonBody('PUT', { new_status: 'NOPE', notes_to_add: 'x' })),
      ).to.deep.include({
        status: 422,
        body: {
          detail: [
            { path: '$.path.document_requirement_id', rule: 'must be at most 200 characters' },
            {
              path: '$.new_status',
              rule: 'must be one of AWAITING_UPLOAD, UPLOADED, VERIFIED_SYSTEM, VERIFIED_MANUAL, REJECTED, NOT_APPLICABLE',
            },
            { path: '$.notes_to_add', rule: 'must be an array' },
          ],
        },
      });
    });

    it('a publish failure answers 503 and removes the pending result', async () => {
      h.commands.failWith = new Error('broker down');
      const r = await h.call('/api/v1/documents/d1/status', jsonBody('PUT', { new_status: 'UPLOADED' }));
      expect(r).to.deep.include({ status: 503, body: { detail: 'the command could not be published; try again' } });
      expect(h.queries.calls.map((c) => c.name)).to.include.members(['accept', 'forget']);
      expect(await h.call('/api/v1/commands/cmd-1')).to.deep.include({ status: 404, body: { detail: 'command not found' } });
    });

    it('GET /api/v1/commands/{command_id} answers pending, processed or rejected', async () => {
      h.queries.commands.set('a', { case_id: 'c1', view: { status: 'processed', event_ids: ['e1'] } });
      h.queries.commands.set('b', { case_id: 'c1', view: { status: 'rejected', reason: 'unknown document' } });
      expect(await h.call('/api/v1/commands/a')).to.deep.include({ status: 200, body: { status: 'processed', event_ids: ['e1'] } });
      expect(await h.call('/api/v1/commands/b')).to.deep.include({ status: 200, body: { status: 'rejected', reason: 'unknown document' } });
      expect((await h.call('/api/v1/commands/c')).status).to.equal(404);
    });
  });
});

describe('HTTP server with an API token', () => {
  const TOKEN = 's3cret-token-0123456789abcdef0123456789';
  let h: Harness;
  before(async () => {
    h = await startHarness({ tokens: tokensOf({ 'api-token': [TOKEN, 'write'] }) });
    h.queries.cases = [{ id: 'c1' }];
  });
  after(async () => {
    await h.server.close();
  });

  it('requires Authorization: Bearer <token> on every /api/v1 route, known or not', async () => {
    const missing = await h.call('/api/v1/cases');
    expect(missing).to.deep.include({ status: 401, body: { detail: 'missing or invalid bearer token' } });
    expect(missing.headers.get('www-authenticate')).to.equal('Bearer');
    expect((await h.call('/api/v1/cases', { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
    expect((await h.call('/api/v1/cases', { headers: { authorization: `Basic ${TOKEN}` } })).status).to.equal(401);
    expect((await h.call('/api/v1/unknown')).status).to.equal(401);
    expect((await h.call('/api/v1/documents/determine-requirements', jsonBody('POST', {}))).status).to.equal(401);
    expect(await h.call('/api/v1/cases', { headers: { authorization: `Bearer ${TOKEN}` } })).to.deep.include({
      status: 200,
      body: [{ id: 'c1' }],
    });
    expect((await h.call('/api/v1/cases', { headers: { authorization: `bearer   ${TOKEN}` } })).status).to.equal(200);
  });

  it('leaves only health and readiness open; metrics and the OpenAPI document need the token', async () => {
    for (const path of ['/health', '/health/live', '/health/ready']) {
      expect((await h.call(path)).status, path).to.equal(200);
    }
    for (const path of ['/metrics', '/openapi.json']) {
      expect((await h.call(path)).status, path).to.equal(401);
      expect((await h.call(path, { headers: { authorization: `Bearer ${TOKEN}` } })).status, path).to.equal(200);
    }
  });

  it('answers an unknown path, a malformed path or a wrong method with 401 alike without the token, revealing nothing', async () => {
    for (const [path, method] of [
      ['/nope', 'GET'],
      ['/api/v1/cases', 'DELETE'],
      ['/api/v1/cases/%E0%A4%A', 'GET'],
      ['/api/v1/cases', 'OPTIONS'],
    ] as const) {
      const r = await h.call(path, { method });
      expect(r, `${method} ${path}`).to.deep.include({ status: 401, body: { detail: 'missing or invalid bearer token' } });
      expect(r.headers.get('allow'), `${method} ${path}`).to.equal(null);
    }
    const authorized = { authorization: `Bearer ${TOKEN}` };
    expect((await h.call('/nope', { headers: authorized })).status).to.equal(404);
    expect((await h.call('/api/v1/cases', { method: 'DELETE', headers: authorized })).status).to.equal(405);
    expect((await h.call('/api/v1/cases/%E0%A4%A', { headers: authorized })).status).to.equal(400);
    expect((await h.call('/health', { method: 'OPTIONS' })).status, 'public path').to.equal(204);
  });

  it('never logs the token', () => {
    expect(JSON.stringify(h.logger.lines)).not.to.contain(TOKEN);
  });

  it('reads the token of a Bearer Authorization header, the scheme in any case', () => {
    expect(bearerToken('Bearer abc')).to.equal('abc');
    expect(bearerToken('bEaReR   abc ')).to.equal('abc');
    expect(bearerToken('Bearer a b')).to.equal(undefined);
    expect(bearerToken('Basic abc')).to.equal(undefined);
    expect(bearerToken('Bearer')).to.equal(undefined);
    expect(bearerToken(undefined)).to.equal(undefined);
  });
});

describe('HTTP server lifecycle', () => {
  it('listens on the given host, answers a keep-alive client and closes promptly', async () => {
    const h = await startHarness();
    expect(h.server.port).to.be.greaterThan(0);
    const agentResponse = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: HOST, port: h.server.port, path: '/health/live', headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(agentResponse).to.equal(200);
    const started = Date.now();
    await h.server.close();
    expect(Date.now() - started).to.be.lessThan(2000);
    await h.server.close(); // idempotent
  });

  it('fails to start on a port already taken', async () => {
    const a = await startHarness();
    try {
      let error: unknown;
      await startHarness({ port: a.server.port }).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/EADDRINUSE/);
    } finally {
      await a.server.close();
    }
  });
});
