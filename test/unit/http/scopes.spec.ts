import { expect } from 'chai';
import { connect } from 'node:net';
import { HOST, jsonBody, rawRequest, startHarness, tokensOf, type Harness } from './harness.js';

/**
 * Named tokens with scopes, over raw HTTP: who gets 401 and who 403, what a 403 says, which actor a
 * command records, and what the request log and the server do with hostile Authorization headers.
 */

const READER = 'reader-token-0123456789abcdef0123456789';
const WRITER = 'writer-token-0123456789abcdef0123456789';
const OTHER_WRITER = 'other-writer-token-0123456789abcdef012';

const STATUS = '/api/v1/documents/d1/status';
const DETERMINE = '/api/v1/documents/determine-requirements';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** One request written byte for byte on a socket (headers node:http would refuse to send), answered with its status line's code. */
const rawBytes = (port: number, request: Buffer): Promise<number> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, HOST);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? 0)));
    socket.on('error', reject);
    socket.end(request);
  });

describe('API tokens with names and scopes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      tokens: tokensOf({ 'ops-reader': [READER, 'read'], 'ops-writer': [WRITER, 'write'], 'crm-writer': [OTHER_WRITER, 'write'] }),
    });
    h.queries.cases = [{ id: 'c1' }];
    h.queries.documents = [{ id: 'd1', case_id: 'c1' }];
  });
  afterEach(async () => {
    await h.server.close();
  });

  it('answers 401 to a request without a token or with an unknown one, on read and write routes alike', async () => {
    for (const headers of [{}, bearer('not-a-known-token-0123456789abcdef'), { authorization: `Basic ${READER}` }]) {
      for (const [method, path] of [
        ['GET', '/api/v1/cases'],
        ['PUT', STATUS],
        ['POST', DETERMINE],
      ] as const) {
        const r = await rawRequest(h.server.port, method, path, { ...headers, 'content-type': 'application/json' }, '{}');
        expect(r.status, `${method} ${path} ${JSON.stringify(headers)}`).to.equal(401);
        expect(JSON.parse(r.text)).to.deep.equal({ detail: 'missing or invalid bearer token' });
      }
    }
    expect(h.queries.calls).to.deep.equal([]);
  });

  it('lets a read token read, and refuses its commands with 403 naming the scope needed, without running them', async () => {
    for (const path of ['/api/v1/cases', '/api/v1/documents/d1', '/metrics', '/openapi.json']) {
      expect((await rawRequest(h.server.port, 'GET', path, bearer(READER))).status, path).to.equal(200);
      expect((await rawRequest(h.server.port, 'HEAD', path, bearer(READER))).status, `HEAD ${path}`).to.equal(200);
    }
    const callsBefore = h.queries.calls.length;
    for (const [method, path, body] of [
      ['PUT', STATUS, { new_status: 'UPLOADED' }],
      ['POST', DETERMINE, { case_id: 'c1', entity_id: 'p1', entity_type: 'PERSON' }],
    ] as const) {
      const r = await rawRequest(
        h.server.port,
        method,
        path,
        { ...bearer(READER), 'content-type': 'application/json' },
        JSON.stringify(body),
      );
      expect(r.status, path).to.equal(403);
      expect(JSON.parse(r.text)).to.deep.equal({ detail: 'this route needs a token with the write scope' });
      expect(r.headers['www-authenticate']).to.equal('Bearer error="insufficient_scope", scope="write"');
      expect(r.text).not.to.contain('ops-');
    }
    expect(h.queries.calls.slice(callsBefore), 'no handler ran').to.deep.equal([]);
    expect(h.commands.published).to.deep.equal([]);
  });

  it('answers a read token 404, 405 and 400 like any authenticated caller: a scope is checked on a route that exists', async () => {
    expect((await rawRequest(h.server.port, 'GET', '/api/v1/nothing', bearer(READER))).status).to.equal(404);
    expect((await rawRequest(h.server.port, 'DELETE', STATUS, bearer(READER))).status).to.equal(405);
    expect((await rawRequest(h.server.port, 'GET', '/api/v1/cases/%2e%2e', bearer(READER))).status).to.equal(400);
    expect((await rawRequest(h.server.port, 'OPTIONS', STATUS, bearer(READER))).status).to.equal(204);
  });

  it("records the write token's name as the actor of the command it sends", async () => {
    const r = await h.call(STATUS, jsonBody('PUT', { new_status: 'UPLOADED' }, bearer(WRITER)));
    expect(r.status).to.equal(202);
    expect(h.commands.published).to.have.length(1);
    expect(h.commands.published[0]).to.deep.include({ updated_by_actor_type: 'API_TOKEN', updated_by_actor_id: 'ops-writer' });
  });

  it('refuses a body that names another actor, even from a write token', async () => {
    const r = await h.call(STATUS, jsonBody('PUT', { new_status: 'UPLOADED', updated_by_actor_id: 'ops-admin' }, bearer(WRITER)));
    expect(r.status).to.equal(422);
    expect(h.commands.published).to.deep.equal([]);
  });

  it('binds an Idempotency-Key to its actor: the same request from another token answers 409, not the first command', async () => {
    const send = (token: string) =>
      h.call(STATUS, jsonBody('PUT', { new_status: 'UPLOADED' }, { ...bearer(token), 'idempotency-key': 'retry-1' }));
    const first = await send(WRITER);
    expect(first.status).to.equal(202);
    expect((await send(WRITER)).body).to.deep.equal(first.body);
    expect(await send(OTHER_WRITER)).to.deep.include({
      status: 409,
      body: { detail: 'this Idempotency-Key was already used for a different request' },
    });
    expect(h.commands.published).to.have.length(1);
  });

  it("logs each request with its actor's name, never a token", async () => {
    await h.call('/api/v1/cases', { headers: bearer(READER) });
    await h.call(STATUS, jsonBody('PUT', { new_status: 'UPLOADED' }, bearer(READER)));
    await h.call(STATUS, jsonBody('PUT', { new_status: 'UPLOADED' }, bearer(WRITER)));
    await h.call('/api/v1/cases', { headers: bearer('unknown-token-0123456789abcdef0123456') });
    await h.call('/health');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const requests = h.logger.lines.filter((l) => l.msg === 'http request').map((l) => l.obj as Record<string, unknown>);
    expect(requests.map((r) => [r.route, r.status, r.actor])).to.deep.equal([
      ['/api/v1/cases', 200, 'ops-reader'],
      ['/api/v1/documents/{document_requirement_id}/status', 403, 'ops-reader'],
      ['/api/v1/documents/{document_requirement_id}/status', 202, 'ops-writer'],
      ['unauthorized', 401, undefined],
      ['/health', 200, 'anonymous'],
    ]);
    expect(h.logger.lines.find((l) => l.msg === 'command accepted')?.obj).to.include({ actor: 'ops-writer' });
    const logged = JSON.stringify(h.logger.lines);
    for (const token of [READER, WRITER, 'unknown-token-0123456789abcdef0123456']) expect(logged).not.to.contain(token);
  });

  it('answers 401 to hostile Authorization headers and keeps serving: empty, odd schemes and spacing, a second header', async () => {
    for (const authorization of [
      '',
      'Bearer',
      'Bearer ',
      'Bearer\t' + WRITER,
      `Bearer ${WRITER} ${WRITER}`,
      `Bearer ${WRITER.slice(0, -1)}`,
      `Bearer ${WRITER}x`,
      `Bearer ${WRITER.toUpperCase()}`,
      `Bearer "${WRITER}"`,
      `Bearer=${WRITER}`,
      `${WRITER}`,
      'Bearer %00%00',
      `Bearer ${'A'.repeat(8_000)}`,
    ]) {
      const r = await rawRequest(h.server.port, 'GET', '/api/v1/cases', { authorization });
      expect(r.status, authorization.slice(0, 40)).to.equal(401);
    }
    // node keeps the first of two Authorization headers: a known token after an unknown one is never tried
    const twice = await rawRequest(h.server.port, 'GET', '/api/v1/cases', {
      authorization: ['Bearer nope', `Bearer ${WRITER}`] as unknown as string,
    });
    expect(twice.status).to.equal(401);
    expect((await rawRequest(h.server.port, 'GET', '/api/v1/cases', bearer(READER))).status).to.equal(200);
  });

  it('answers raw bytes in the header, and a header larger than node takes, without crashing', async () => {
    const request = (authorization: Buffer) =>
      Buffer.concat([
        Buffer.from('GET /api/v1/cases HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ', 'latin1'),
        authorization,
        Buffer.from('\r\n\r\n', 'latin1'),
      ]);
    expect(await rawBytes(h.server.port, request(Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x28])))).to.equal(401);
    expect(await rawBytes(h.server.port, request(Buffer.from(`${WRITER}\u00e9`, 'utf8')))).to.equal(401);
    expect([400, 401]).to.include(await rawBytes(h.server.port, request(Buffer.from([0x41, 0x00, 0x41]))));
    expect(await rawBytes(h.server.port, request(Buffer.alloc(20_000, 0x41)))).to.equal(431);
    expect((await rawRequest(h.server.port, 'GET', '/api/v1/cases', bearer(WRITER))).status, 'still serving').to.equal(200);
    expect(h.queries.calls.filter((c) => c.name === 'listCases')).to.have.length(1);
  });
});

describe('the API without tokens (loopback development)', () => {
  it('serves every caller as the anonymous actor, whatever it presents, and records that actor on commands', async () => {
    const h = await startHarness();
    try {
      h.queries.documents = [{ id: 'd1', case_id: 'c1' }];
      const r = await h.call(STATUS, jsonBody('PUT', { new_status: 'UPLOADED' }, bearer('anything-at-all')));
      expect(r.status).to.equal(202);
      expect(h.commands.published[0]).to.deep.include({ updated_by_actor_type: 'ANONYMOUS', updated_by_actor_id: 'anonymous' });
    } finally {
      await h.server.close();
    }
  });
});
