import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { expect } from 'chai';
import type { Message, Producer, ProducerRecord } from 'kafkajs';
import { createKafkaCommandPublisher } from '../../../src/infra/http/commandPublisher.js';
import { jsonBody, startHarness, tokensOf, type Harness } from '../http/harness.js';
import {
  inMemoryTracing,
  PRODUCER_SPAN_ID,
  PRODUCER_TRACE_ID,
  PRODUCER_TRACEPARENT,
  traceparentParts,
  type InMemoryTracing,
} from '../../support/tracing.js';

const ROUTE = '/api/v1/documents/determine-requirements';

/** Waits for the span of that name: a request's span ends when its connection closes, just after the answer. */
const spanNamed = async (tracing: InMemoryTracing, name: string) => {
  for (let i = 0; i < 100 && tracing.named(name).length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  return tracing.span(name);
};

describe('API requests traced', () => {
  let tracing: InMemoryTracing;
  let api: Harness;
  const sent: Message[] = [];
  const producer = {
    send: async (record: ProducerRecord) => {
      sent.push(...record.messages);
      return [];
    },
  } as unknown as Producer;

  beforeEach(async () => {
    tracing = inMemoryTracing();
    sent.length = 0;
    api = await startHarness({ commands: createKafkaCommandPublisher(producer, 'case_commands') });
    api.queries.cases = [{ id: 'case-1', client_id: 'client-1' }];
  });
  afterEach(async () => {
    await api.server.close();
    await tracing.stop();
  });

  const determine = (headers: Record<string, string> = {}) =>
    api.call(ROUTE, jsonBody('POST', { case_id: 'case-1', entity_id: 'person-1', entity_type: 'PERSON' }, headers));

  it("continues the caller's traceparent in a SERVER span named by its route, and the command it publishes carries that trace", async () => {
    expect((await determine({ traceparent: PRODUCER_TRACEPARENT })).status).to.equal(202);
    const server = await spanNamed(tracing, `POST ${ROUTE}`);
    expect(server.kind).to.equal(SpanKind.SERVER);
    expect(server.spanContext().traceId).to.equal(PRODUCER_TRACE_ID);
    expect(server.parentSpanContext?.spanId).to.equal(PRODUCER_SPAN_ID);
    expect(server.attributes).to.include({ 'http.request.method': 'POST', 'http.route': ROUTE, 'http.response.status_code': 202 });
    const send = tracing.span('send case_commands');
    expect(send.kind).to.equal(SpanKind.PRODUCER);
    expect(send.parentSpanContext?.spanId).to.equal(server.spanContext().spanId);
    expect(send.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'case_commands',
      'messaging.message.id': 'cmd-1',
      'casestream.case_id': 'case-1',
      'casestream.command_type': 'DetermineDocumentRequirements',
    });
    const header = traceparentParts(String(sent[0]!.headers?.traceparent));
    expect(header).to.deep.equal({ traceId: PRODUCER_TRACE_ID, spanId: send.spanContext().spanId, flags: '01' });
    expect(String(sent[0]!.headers?.['message-id'])).to.equal('cmd-1');
  });

  it('starts a new trace for a request without a valid traceparent', async () => {
    expect((await determine({ traceparent: `00-${'0'.repeat(32)}-${PRODUCER_SPAN_ID}-01` })).status).to.equal(202);
    const server = await spanNamed(tracing, `POST ${ROUTE}`);
    expect(server.parentSpanContext).to.equal(undefined);
    expect(traceparentParts(String(sent[0]!.headers?.traceparent))?.traceId).to.equal(server.spanContext().traceId);
  });

  it('marks an answer of the server failing as an error, and leaves a refused request as it is', async () => {
    api.queries.failWith = new Error('boom');
    expect((await determine()).status).to.equal(500);
    expect((await spanNamed(tracing, `POST ${ROUTE}`)).status.code).to.equal(SpanStatusCode.ERROR);
    api.queries.failWith = undefined;
    expect((await api.call('/api/v1/nothing-here')).status).to.equal(404);
    const refused = await spanNamed(tracing, 'GET');
    expect(refused.status.code).to.equal(SpanStatusCode.UNSET);
    expect(refused.attributes).to.include({ 'http.response.status_code': 404 });
    expect(refused.attributes).not.to.have.property('http.route');
  });

  it("names the request's actor: the token's name, anonymous without tokens, none for a refused token", async () => {
    expect((await determine()).status).to.equal(202);
    expect((await spanNamed(tracing, `POST ${ROUTE}`)).attributes).to.include({ 'casestream.actor': 'anonymous' });
    const TOKEN = 'span-token-0123456789abcdef0123456789';
    const guarded = await startHarness({ tokens: tokensOf({ 'ops-reader': [TOKEN, 'read'] }) });
    try {
      expect((await guarded.call('/api/v1/cases', { headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(200);
      expect((await spanNamed(tracing, 'GET /api/v1/cases')).attributes).to.include({ 'casestream.actor': 'ops-reader' });
      expect((await guarded.call('/api/v1/cases/c1', { headers: { authorization: 'Bearer nope' } })).status).to.equal(401);
      const refused = await spanNamed(tracing, 'GET');
      expect(refused.attributes).to.include({ 'http.response.status_code': 401 });
      expect(refused.attributes).not.to.have.property('casestream.actor');
      expect(JSON.stringify(tracing.spans().map((s) => s.attributes))).not.to.contain(TOKEN);
    } finally {
      await guarded.server.close();
    }
  });

  it('does not trace health checks and metric scrapes', async () => {
    await api.call('/health');
    await api.call('/metrics');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tracing.spans()).to.have.length(0);
  });
});
