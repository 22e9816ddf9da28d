import { expect } from 'chai';
import sinon from 'sinon';
import { jsonBody, rawRequest, startHarness, type Harness } from './harness.js';

/** Hostile bodies, headers and parameters: each answered with a clear 4xx, never a 5xx, and nothing published. */
describe('HTTP API hardening (fake database)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.queries.cases = [{ id: 'c1' }];
    h.queries.documents = [{ id: 'd1', case_id: 'c1' }];
  });
  afterEach(async () => {
    await h.server.close();
  });

  const determine = { case_id: 'c1', entity_id: 'p1', entity_type: 'PERSON' };
  const expectInvalid = (answer: { status: number; body: unknown }, detail: { path: string; rule: string }[]) =>
    expect(answer).to.deep.include({ status: 422, body: { detail } });
  const put = (body: unknown, headers: Record<string, string> = {}) =>
    h.call('/api/v1/documents/d1/status', jsonBody('PUT', body, headers));
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    h.call('/api/v1/documents/determine-requirements', jsonBody('POST', body, headers));

  describe('media type', () => {
    it('answers 415 to a POST or PUT without a JSON content type, even when the body is JSON', async () => {
      const contentTypes: Record<string, string>[] = [
        {},
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
        { 'content-type': 'json' },
      ];
      for (const headers of contentTypes) {
        for (const [method, path] of [
          ['POST', '/api/v1/documents/determine-requirements'],
          ['PUT', '/api/v1/documents/d1/status'],
        ] as const) {
          const r = await rawRequest(
            h.server.port,
            method,
            path,
            headers,
            JSON.stringify(method === 'POST' ? determine : { new_status: 'UPLOADED' }),
          );
          expect(r.status, `${method} ${JSON.stringify(headers)}`).to.equal(415);
          expect(JSON.parse(r.text)).to.deep.equal({ detail: 'the request body must be application/json' });
        }
      }
      expect(h.commands.published).to.deep.equal([]);
    });

    it('takes application/json with parameters and +json types', async () => {
      expect(
        (
          await h.call('/api/v1/documents/determine-requirements', {
            method: 'POST',
            headers: { 'content-type': 'Application/JSON; charset=utf-8' },
            body: JSON.stringify(determine),
          })
        ).status,
      ).to.equal(202);
      expect(
        (
          await h.call('/api/v1/documents/determine-requirements', {
            method: 'POST',
            headers: { 'content-type': 'application/vnd.casestream+json' },
            body: JSON.stringify(determine),
          })
        ).status,
      ).to.equal(202);
    });
  });

  describe('bodies the database must never see', () => {
    it('answers 422 naming each $ key, at any depth, for the PUT body that used to answer 500', async () => {
      const r = await put({ new_status: 'UPLOADED', metadata_changes: { nested: { deeper: { $where: 'sleep(1000)' } } }, $set: { x: 1 } });
      expectInvalid(r, [
        { path: '$.$set', rule: 'must not be a key starting with "$"' },
        { path: '$.metadata_changes.nested.deeper.$where', rule: 'must not be a key starting with "$"' },
      ]);
      expect(h.commands.published).to.deep.equal([]);
    });

    it('answers 422 to keys with "." or NUL inside metadata values, which would become field paths', async () => {
      const r = await put({ new_status: 'UPLOADED', metadata_changes: { scan: { 'a.b': 1 }, other: { 'nul\u0000': 2 } } });
      expectInvalid(r, [
        { path: '$.metadata_changes.scan', rule: 'must be storable: it has a key that starts with $ or contains a dot' },
        { path: '$.metadata_changes.other', rule: 'must be storable: it has a key that starts with $ or contains a dot' },
      ]);
    });

    for (const depth of [33, 10_000, 100_000]) {
      it(`answers 422 to a body of objects or arrays nested ${depth} deep, without overflowing the stack`, async () => {
        for (const [open, close] of [
          ['{"a":', '}'],
          ['[', ']'],
        ]) {
          const deep = `{"new_status":"UPLOADED","metadata_changes":{"x":${open!.repeat(depth)}1${close!.repeat(depth)}}}`;
          const r = await put(deep);
          expect(r, open).to.deep.include({
            status: 422,
            body: { detail: [{ path: '$', rule: 'must not nest objects and arrays more than 32 deep' }] },
          });
        }
      });
    }

    it('takes a body nested exactly as deep as allowed', async () => {
      const value = `${'{"a":'.repeat(30)}1${'}'.repeat(30)}`;
      expect((await put(`{"new_status":"UPLOADED","metadata_changes":{"x":${value}}}`)).status).to.equal(202);
    });

    it('does not count brackets inside strings as nesting', async () => {
      expect(
        (
          await put({
            new_status: 'UPLOADED',
            notes_to_add: ['[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\" {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{'],
          })
        ).status,
      ).to.equal(202);
    });

    it('answers 422 to numbers that overflow to Infinity', async () => {
      const r = await put('{"new_status":"UPLOADED","metadata_changes":{"amount":1e400,"list":[-1e999]}}');
      expectInvalid(r, [
        { path: '$.metadata_changes.amount', rule: 'must be a finite number' },
        { path: '$.metadata_changes.list[0]', rule: 'must be a finite number' },
      ]);
    });

    it('lists at most the configured number of failing paths', async () => {
      const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`$k${i}`, 1]));
      const r = await post(many);
      expect(r.status).to.equal(422);
      expect((r.body as { detail: unknown[] }).detail).to.have.length(20);
    });

    it('answers 422 when a body breaks a bound of the command decoder, instead of failing after accepting it', async () => {
      const r = await put({ new_status: 'UPLOADED', notes_to_add: Array.from({ length: 21 }, (_, i) => `note ${i}`) });
      expect(r.status).to.equal(422);
      expect(JSON.stringify(r.body)).to.contain('$.notes_to_add');
      expect(h.queries.calls.map((c) => c.name)).not.to.include('accept');
    });
  });

  describe('paging caps', () => {
    it('answers 422 beyond the configured page size and skip, and takes the limits themselves', async () => {
      const capped = await startHarness({ limits: { maxPageSize: 10, maxSkip: 100 } });
      try {
        expectInvalid(await capped.call('/api/v1/cases?limit=11&skip=101'), [
          { path: '$.query.limit', rule: 'must be an integer from 1 to 10' },
          { path: '$.query.skip', rule: 'must be an integer from 0 to 100' },
        ]);
        expect((await capped.call('/api/v1/events/raw?skip=1000000000')).status).to.equal(422);
        expect((await capped.call('/api/v1/cases?limit=10&skip=100')).status).to.equal(200);
        await capped.call('/api/v1/events/raw');
        expect(capped.queries.calls.at(-1)).to.deep.equal({ name: 'rawEvents', args: [{ limit: 10, skip: 0 }] });
        const doc = (await capped.call('/openapi.json')).body as {
          paths: Record<string, { get: { parameters: { name: string; schema: { maximum: number } }[] } }>;
        };
        expect(doc.paths['/api/v1/cases']!.get.parameters.map((p) => [p.name, p.schema.maximum])).to.deep.equal([
          ['limit', 10],
          ['skip', 100],
        ]);
      } finally {
        await capped.server.close();
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the same key and body with the same command_id, creating and publishing nothing new', async () => {
      const first = await post(determine, { 'idempotency-key': 'retry-1' });
      expect(first).to.deep.include({ status: 202, body: { command_id: 'cmd-1' } });
      const again = await post({ entity_type: 'PERSON', entity_id: 'p1', case_id: 'c1' }, { 'idempotency-key': 'retry-1' });
      expect(again).to.deep.include({ status: 202, body: { command_id: 'cmd-1' } });
      expect(again.headers.get('location')).to.equal('/api/v1/commands/cmd-1');
      expect(h.commands.published).to.have.length(1);
      expect(h.queries.calls.filter((c) => c.name === 'accept')).to.have.length(1);
    });

    it('answers 409 to the same key with another body, or on another route', async () => {
      expect((await put({ new_status: 'UPLOADED' }, { 'idempotency-key': 'k-2' })).status).to.equal(202);
      expect(await put({ new_status: 'REJECTED' }, { 'idempotency-key': 'k-2' })).to.deep.include({
        status: 409,
        body: { detail: 'this Idempotency-Key was already used for a different request' },
      });
      expect((await post(determine, { 'idempotency-key': 'k-2' })).status).to.equal(409);
      expect(h.commands.published).to.have.length(1);
    });

    it('publishes once for concurrent duplicates, all answered with the one command_id', async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => post(determine, { 'idempotency-key': 'burst' })));
      expect(answers.map((a) => a.status)).to.deep.equal(Array(8).fill(202));
      expect(new Set(answers.map((a) => (a.body as { command_id: string }).command_id)).size).to.equal(1);
      expect(h.commands.published).to.have.length(1);
    });

    it('treats requests without a key as distinct commands', async () => {
      await post(determine);
      await post(determine);
      expect(h.commands.published.map((c) => c.command_id)).to.deep.equal(['cmd-1', 'cmd-2']);
    });

    it('answers 422 to a key too long or not printable ASCII', async () => {
      for (const key of ['k'.repeat(257), 'with space', 'tab\there']) {
        const r = await post(determine, { 'idempotency-key': key });
        expect(r, JSON.stringify(key)).to.deep.include({
          status: 422,
          body: { detail: [{ path: '$.headers.idempotency-key', rule: 'must be 1 to 256 printable ASCII characters without spaces' }] },
        });
      }
      expect(h.commands.published).to.deep.equal([]);
    });

    it('frees the key when the pending result could not be recorded, so the retry is not told of a command that never was', async () => {
      const down = Object.assign(new Error('connection refused'), { name: 'MongoNetworkError' });
      const accept = sinon.stub(h.queries, 'accept').rejects(down);
      expect((await post(determine, { 'idempotency-key': 'db-blip' })).status).to.equal(503);
      accept.restore();
      expect(await post(determine, { 'idempotency-key': 'db-blip' })).to.deep.include({ status: 202, body: { command_id: 'cmd-2' } });
      expect(h.commands.published.map((c) => c.command_id)).to.deep.equal(['cmd-2']);
    });

    it('frees the key when the command could not be published, so the retry publishes it', async () => {
      h.commands.failWith = new Error('broker down');
      expect((await post(determine, { 'idempotency-key': 'after-outage' })).status).to.equal(503);
      h.commands.failWith = undefined;
      const retry = await post(determine, { 'idempotency-key': 'after-outage' });
      expect(retry).to.deep.include({ status: 202, body: { command_id: 'cmd-2' } });
      expect(h.commands.published.map((c) => c.command_id)).to.deep.equal(['cmd-2']);
    });
  });
});
