import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import { createConfigServiceClient, matchUrl, type FetchLike } from '../../../src/infra/rules/configServiceClient.js';
import { rule } from './fakes.js';

const respond = (status: number, body: string) => ({ ok: status >= 200 && status < 300, status, text: async () => body });

const clientWith = (fetch: FetchLike, timeoutMs = 1000) =>
  createConfigServiceClient({ url: 'http://127.0.0.1:8081/api/v1/notification-rules', timeoutMs, fetch });

const CONTEXT = { case_id: 'case-1', client_id: 'client-42' };

describe('createConfigServiceClient', () => {
  it('POSTs {event_trigger, context} as JSON to {base}/rules/match with a timeout signal', async () => {
    const fetch = sinon.stub<Parameters<FetchLike>, ReturnType<FetchLike>>().resolves(respond(200, JSON.stringify([rule()])));
    await clientWith(fetch).matchRule('CASE_CREATED_KYC_STANDARD', CONTEXT);
    expect(fetch.calledOnce).to.equal(true);
    const [url, init] = fetch.firstCall.args;
    expect(url).to.equal('http://127.0.0.1:8081/api/v1/notification-rules/rules/match');
    expect(init.method).to.equal('POST');
    expect(init.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(init.body)).to.deep.equal({ event_trigger: 'CASE_CREATED_KYC_STANDARD', context: CONTEXT });
    expect(init.signal).to.be.instanceOf(AbortSignal);
  });

  it('sends the credentials of a base URL (user:password@) as Basic authorization, never in the URL', async () => {
    const fetch = sinon.stub<Parameters<FetchLike>, ReturnType<FetchLike>>().resolves(respond(200, JSON.stringify([rule()])));
    const client = createConfigServiceClient({ url: 'https://svc%40eu:p%3Ass%20w@config.internal:8443/api/', timeoutMs: 1000, fetch });

    await client.matchRule('CASE_CREATED_KYC_STANDARD', CONTEXT);

    const [url, init] = fetch.firstCall.args;
    expect(url).to.equal('https://config.internal:8443/api/rules/match');
    expect(init.headers.authorization).to.equal(`Basic ${Buffer.from('svc@eu:p:ss w').toString('base64')}`);
  });

  it('reaches a Configuration Service whose URL carries credentials through node-fetch, which refuses such URLs itself', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([rule()])));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = createConfigServiceClient({ url: `http://casestream:s3cret@127.0.0.1:${port}`, timeoutMs: 2_000 });

      const result = await client.matchRule('CASE_CREATED_KYC_STANDARD', CONTEXT);

      expect(result).to.deep.include({ kind: 'answered', rule: rule() });
      expect(seen).to.deep.equal([`Basic ${Buffer.from('casestream:s3cret').toString('base64')}`]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does not double the slash of a base URL ending with one', () => {
    expect(matchUrl('http://h:1/base/')).to.equal('http://h:1/base/rules/match');
    expect(matchUrl('http://h:1')).to.equal('http://h:1/rules/match');
  });

  it('answers the first valid active rule of an array in priority order', async () => {
    const body = [{ rule_id: 'BROKEN', is_active: 'yes' }, rule({ rule_id: 'OFF', is_active: false }), rule({ rule_id: 'ON' })];
    const result = await clientWith(async () => respond(200, JSON.stringify(body))).matchRule('T', CONTEXT);
    expect(result).to.deep.include({ kind: 'answered', rule: rule({ rule_id: 'ON' }) });
    expect(result.kind === 'answered' && result.skipped.map((s) => s.index)).to.deep.equal([0]);
  });

  it('accepts a single rule object', async () => {
    const result = await clientWith(async () => respond(200, JSON.stringify(rule()))).matchRule('T', CONTEXT);
    expect(result).to.deep.include({ kind: 'answered', rule: rule() });
  });

  it('answers no rule for an empty array or inactive rules only', async () => {
    for (const body of [[], [rule({ is_active: false })]]) {
      const result = await clientWith(async () => respond(200, JSON.stringify(body))).matchRule('T', CONTEXT);
      expect(result).to.deep.include({ kind: 'answered', rule: null });
    }
  });

  for (const status of [404, 500, 503]) {
    it(`fails on HTTP ${status}`, async () => {
      const result = await clientWith(async () => respond(status, '{"error":"x"}')).matchRule('T', CONTEXT);
      expect(result).to.deep.equal({ kind: 'failed', failure: 'status', status, reason: `the service answered HTTP ${status}` });
    });
  }

  it('fails on a network error', async () => {
    const err = Object.assign(new Error('request to http://x failed, reason: connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const result = await clientWith(async () => Promise.reject(err)).matchRule('T', CONTEXT);
    expect(result).to.deep.include({ kind: 'failed', failure: 'network' });
    expect(result.kind === 'failed' && result.reason).to.include('ECONNREFUSED');
  });

  it('fails with a timeout when no answer comes in time', async () => {
    const never: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new Error('The operation was aborted.'))));
    const started = Date.now();
    const result = await clientWith(never, 50).matchRule('T', CONTEXT);
    expect(result).to.deep.equal({ kind: 'failed', failure: 'timeout', reason: 'no answer within 50 ms' });
    expect(Date.now() - started).to.be.below(1000);
  });

  it('fails on a body that is not JSON, or JSON that is neither an array nor an object', async () => {
    for (const body of ['[{"rule_id": tru', '', '"text"', '42', 'null']) {
      const result = await clientWith(async () => respond(200, body)).matchRule('T', CONTEXT);
      expect(result, body).to.deep.include({ kind: 'failed', failure: 'malformed' });
    }
  });

  it('never rejects, even when reading the body fails', async () => {
    const result = await clientWith(async () => ({
      ok: true,
      status: 200,
      text: () => Promise.reject(new Error('socket hang up')),
    })).matchRule('T', CONTEXT);
    expect(result).to.deep.include({ kind: 'failed', failure: 'network' });
  });
});
