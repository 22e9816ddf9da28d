// The Configuration Service stub as seen by a real HTTP client (node-fetch):
// every failure mode against an in-process stub on port 0, plus a check of the
// stack's stub on 127.0.0.1:8081 (requires `npm run stack:up`).
import { expect } from 'chai';
import fetch from 'node-fetch';
import type { Response } from 'node-fetch';
import { resolve } from 'node:path';
import { loadRulesFile, startConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import type { ConfigServiceStub, StubState } from '../../../tools/config-service-stub/stub.js';
import { CONFIG_SERVICE_URL, REPO_ROOT } from '../../support/stack.js';

const RULES_FILE = resolve(REPO_ROOT, 'config/notification-rules.json');
const KYC_TRIGGER = 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD';
const KYB_EDD_TRIGGER = 'CASE_CREATED_KYB_ENHANCED_DUE_DILIGENCE';

type Rule = { rule_id: string; is_active: boolean };

function postJson(url: string, body: unknown, timeoutMs = 5000): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

const match = (baseUrl: string, eventTrigger: string, timeoutMs?: number): Promise<Response> =>
  postJson(`${baseUrl}/rules/match`, { event_trigger: eventTrigger, context: { case_id: 'case-1' } }, timeoutMs);

async function control(baseUrl: string, body: unknown): Promise<StubState> {
  const res = await postJson(`${baseUrl}/__control`, body);
  expect(res.status, await res.clone().text()).to.equal(200);
  return (await res.json()) as StubState;
}

async function controlState(baseUrl: string): Promise<StubState> {
  const res = await fetch(`${baseUrl}/__control`, { signal: AbortSignal.timeout(5000) });
  expect(res.status).to.equal(200);
  return (await res.json()) as StubState;
}

describe('Configuration Service stub', function () {
  this.timeout(20_000);

  describe('in-process on port 0', () => {
    let stub: ConfigServiceStub;
    const rules = loadRulesFile(RULES_FILE);

    beforeEach(async () => {
      stub = await startConfigServiceStub({ port: 0, rulesFile: RULES_FILE });
    });

    afterEach(async () => {
      await stub.close();
    });

    it('listens on a free loopback port', () => {
      expect(stub.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stub.port).to.be.greaterThan(0);
    });

    it('answers the rules listed for the trigger, in file order, and an empty array for an unknown trigger', async () => {
      const res = await match(stub.url, KYB_EDD_TRIGGER);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/application\/json/);
      const body = (await res.json()) as Rule[];
      expect(body).to.deep.equal(rules[KYB_EDD_TRIGGER]);
      expect(body.map((r) => [r.rule_id, r.is_active])).to.deep.equal([
        ['EMAIL_WELCOME_KYB_EDD_LEGACY', false],
        ['EMAIL_WELCOME_KYB_EDD', true],
      ]);

      const none = await match(stub.url, 'CASE_CREATED_NOT_CONFIGURED');
      expect(none.status).to.equal(200);
      expect(await none.json()).to.deep.equal([]);
    });

    it('answers 400 to a body without a string event_trigger or an object context, or that is not JSON', async () => {
      for (const body of [{ context: {} }, { event_trigger: 'X' }, { event_trigger: 'X', context: [] }, [1]]) {
        const res = await postJson(`${stub.url}/rules/match`, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(await res.json())
          .to.have.property('error')
          .that.is.a('string');
      }
      const notJson = await fetch(`${stub.url}/rules/match`, { method: 'POST', body: '{nope' });
      expect(notJson.status).to.equal(400);
    });

    it('answers normally but only after delay_ms in slow mode', async () => {
      await control(stub.url, { mode: 'slow', delay_ms: 400 });
      const started = Date.now();
      const res = await match(stub.url, KYC_TRIGGER);
      const elapsed = Date.now() - started;
      expect(res.status).to.equal(200);
      expect(((await res.json()) as Rule[]).map((r) => r.rule_id)).to.deep.equal(['EMAIL_WELCOME_KYC']);
      expect(elapsed).to.be.at.least(380);
    });

    it('answers 503 with a JSON error body in error mode, or the status asked for', async () => {
      await control(stub.url, { mode: 'error' });
      const res = await match(stub.url, KYC_TRIGGER);
      expect(res.status).to.equal(503);
      expect(await res.json())
        .to.include({ status: 503 })
        .and.to.have.property('error');

      await control(stub.url, { mode: 'error', status: 500 });
      const res500 = await match(stub.url, KYC_TRIGGER);
      expect(res500.status).to.equal(500);
    });

    it('never answers in timeout mode, so the client gives up via its abort signal, and close() still works', async () => {
      await control(stub.url, { mode: 'timeout' });
      const started = Date.now();
      let error: unknown;
      try {
        await match(stub.url, KYC_TRIGGER, 300);
      } catch (err) {
        error = err;
      }
      expect(error, 'request should have been aborted').to.be.instanceOf(Error);
      expect((error as Error).name).to.be.oneOf(['AbortError', 'TimeoutError']);
      expect(Date.now() - started).to.be.at.least(280);

      // A request still held by the stub must not keep close() waiting.
      const pending = match(stub.url, KYC_TRIGGER, 10_000).then(
        () => 'answered',
        () => 'failed',
      );
      await new Promise((r) => setTimeout(r, 100));
      const closeStarted = Date.now();
      await stub.close();
      expect(Date.now() - closeStarted).to.be.below(1000);
      expect(await pending).to.equal('failed');
    });

    it('answers 200 with a body that is not JSON in malformed mode', async () => {
      await control(stub.url, { mode: 'malformed' });
      const res = await match(stub.url, KYC_TRIGGER);
      expect(res.status).to.equal(200);
      const text = await res.text();
      expect(() => JSON.parse(text)).to.throw(SyntaxError);
    });

    it('answers the first matching rule as a bare object in single-object mode', async () => {
      await control(stub.url, { mode: 'single-object' });
      const res = await match(stub.url, KYB_EDD_TRIGGER);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as unknown;
      expect(Array.isArray(body)).to.equal(false);
      expect(body).to.deep.equal(rules[KYB_EDD_TRIGGER]?.[0]);
    });

    it('counts rule requests, reports the mode, resets, and rejects an unknown mode', async () => {
      expect(await controlState(stub.url)).to.deep.include({ mode: 'normal', requests: 0 });
      await match(stub.url, KYC_TRIGGER);
      await match(stub.url, KYB_EDD_TRIGGER);
      await control(stub.url, { mode: 'error', status: 502 });
      await match(stub.url, KYC_TRIGGER);
      expect(await controlState(stub.url)).to.deep.include({ mode: 'error', status: 502, requests: 3 });
      expect(stub.state()).to.deep.include({ mode: 'error', requests: 3 });

      const bad = await postJson(`${stub.url}/__control`, { mode: 'flaky' });
      expect(bad.status).to.equal(400);

      const reset = await postJson(`${stub.url}/__control/reset`, {});
      expect(reset.status).to.equal(200);
      expect(await controlState(stub.url)).to.deep.include({ mode: 'normal', requests: 0 });
    });

    it('can be switched in-process with setMode() as well as over HTTP', async () => {
      stub.setMode({ mode: 'error', status: 429 });
      expect((await match(stub.url, KYC_TRIGGER)).status).to.equal(429);
      stub.setMode('normal');
      expect((await match(stub.url, KYC_TRIGGER)).status).to.equal(200);
      expect(() => stub.setMode({ mode: 'error', status: 200 })).to.throw(/status/);
    });
  });

  describe('run by the local stack on 127.0.0.1:8081', () => {
    it('serves rules and switches to a failure mode through /__control', async () => {
      const before = await controlState(CONFIG_SERVICE_URL);
      try {
        const res = await match(CONFIG_SERVICE_URL, KYC_TRIGGER);
        expect(res.status).to.equal(200);
        expect(((await res.json()) as Rule[])[0]).to.include({ rule_id: 'EMAIL_WELCOME_KYC', is_active: true });

        await control(CONFIG_SERVICE_URL, { mode: 'error', status: 503 });
        const failed = await match(CONFIG_SERVICE_URL, KYC_TRIGGER);
        expect(failed.status).to.equal(503);
        expect((await controlState(CONFIG_SERVICE_URL)).requests).to.be.at.least(before.requests + 2);
      } finally {
        // Restore whatever mode the shared stub was in (without resetting its counter).
        await control(CONFIG_SERVICE_URL, { mode: before.mode, delay_ms: before.delay_ms, status: before.status });
      }
    });
  });
});
