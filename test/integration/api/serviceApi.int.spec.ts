import { expect } from 'chai';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { waitFor } from '../../support/stack.js';

const TOKEN = 'test-token-7f3a';

describe('the running service over HTTP', function () {
  this.timeout(120_000);
  let svc: ServiceHarness;

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const response = await fetch(`${svc.httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: (() => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return {}; } })() };
  };

  before(async () => {
    svc = await new ServiceHarness({ API_TOKEN: TOKEN }).start();
  });

  after(async () => {
    await svc?.stop();
  });

  it('is live and ready once it consumes, and reports each component', async () => {
    expect((await call('GET', '/health/live', undefined, null)).status).to.equal(200);
    await waitFor(async () => (await call('GET', '/health/ready', undefined, null)).status === 200, 20_000, { description: 'readiness' });
    const health = await call('GET', '/health', undefined, null);
    expect(health.json.status).to.be.oneOf(['ok', 'degraded']);
    expect(Object.keys(health.json.components as object)).to.have.members(['kafka', 'mongodb', 'redis', 'config_service']);
  });

  it('takes a command through the pipeline: 202, then processed with its event ids, or rejected with the reason', async () => {
    await svc.sendClientData({ value: { client_id: 'api-1', version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', persons: [{ firstname: 'A', lastname: 'B' }] } });
    const caseId = (await svc.caseOf('api-1')).id as string;
    const docs = await waitFor(async () => {
      const r = await call('GET', `/api/v1/documents/case/${caseId}`);
      return Array.isArray(r.json) && r.json.length === 2 ? (r.json as unknown as { id: string; document_type: string }[]) : null;
    });
    const passport = docs.find((d) => d.document_type === 'PASSPORT')!;

    const accepted = await call('PUT', `/api/v1/documents/${passport.id}/status`, { new_status: 'UPLOADED', updated_by_actor_type: 'USER' });
    expect(accepted.status, accepted.text).to.equal(202);
    const commandId = accepted.json.command_id as string;
    const processed = await waitFor(async () => {
      const r = await call('GET', `/api/v1/commands/${commandId}`);
      return r.json.status === 'processed' ? r.json : null;
    }, 20_000, { description: 'the processed command' });
    expect(processed.event_ids).to.have.length(1);
    const events = await call('GET', `/api/v1/cases/${caseId}/events`);
    expect((events.json as unknown as { event_id: string }[]).map((e) => e.event_id)).to.include((processed.event_ids as string[])[0]);

    const person = await call('GET', `/api/v1/persons/case/${caseId}`);
    const personId = (person.json as unknown as { id: string }[])[0]!.id;
    const again = await call('POST', '/api/v1/documents/determine-requirements', { case_id: caseId, entity_id: `${personId}-not-a-person`, entity_type: 'PERSON' });
    expect(again.status, again.text).to.equal(202);
    const rejected = await waitFor(async () => {
      const r = await call('GET', `/api/v1/commands/${String(again.json.command_id)}`);
      return r.json.status === 'rejected' ? r.json : null;
    }, 20_000, { description: 'the rejected command' });
    expect(rejected.reason).to.contain('unknown person');
  });

  it('requires the API token on /api/v1, answering 401 without it', async () => {
    expect((await call('GET', '/api/v1/cases', undefined, null)).status).to.equal(401);
    expect((await call('GET', '/api/v1/cases', undefined, 'wrong')).status).to.equal(401);
    expect((await call('GET', '/api/v1/cases')).status).to.equal(200);
  });

  it('shows non-zero counters for the work done on /metrics', async () => {
    const metrics = (await call('GET', '/metrics', undefined, null)).text;
    const value = (name: string) =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith(name) && !l.startsWith('#'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(value('casestream_messages_consumed_total')).to.be.greaterThan(0);
    expect(value('casestream_messages_processed_total')).to.be.greaterThan(0);
    expect(value('casestream_messages_rejected_total')).to.be.greaterThan(0);
    expect(value('casestream_event_append_duration_seconds_count')).to.be.greaterThan(0);
    expect(value('casestream_end_to_end_latency_seconds_count')).to.be.greaterThan(0);
  });
});
