import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { createCachedRuleLookup } from '../../../src/infra/rules/cachedRuleLookup.js';
import { createConfigServiceClient, type FetchLike } from '../../../src/infra/rules/configServiceClient.js';
import { casestreamTracer } from '../../../src/streams/tracing/tracer.js';
import { rule } from '../rules/fakes.js';
import { inMemoryTracing, traceparentParts, type InMemoryTracing } from '../../support/tracing.js';

const respond = (status: number, body: string) => ({ ok: status >= 200 && status < 300, status, text: async () => body });

/** A fetch that answers `answer` and keeps the headers of every request. */
const recordingFetch = (answer: () => Promise<ReturnType<typeof respond>>) => {
  const headers: Record<string, string>[] = [];
  const fetch: FetchLike = async (_url, init) => {
    headers.push(init.headers);
    return answer();
  };
  return { fetch, headers };
};

const clientWith = (fetch: FetchLike) =>
  createConfigServiceClient({ url: 'http://user:secret@127.0.0.1:8081/base?token=abc', timeoutMs: 1_000, fetch });

/** Runs `f` in a recording span of its own, as the pipeline's lookup step does; the span ends afterwards. */
const inLookupSpan = async <T>(f: () => Promise<T>) => {
  const span = casestreamTracer().startSpan('rule lookup');
  const result = await context.with(trace.setSpan(ROOT_CONTEXT, span), f);
  span.end();
  return { span, result };
};

describe('rule lookups traced', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = inMemoryTracing();
  });
  afterEach(async () => {
    await tracing.stop();
  });

  it('calls the Configuration Service in a CLIENT span of the lookup, with the HTTP attributes, and sends it the traceparent', async () => {
    const { fetch, headers } = recordingFetch(async () => respond(200, JSON.stringify([rule()])));
    const { span: lookup } = await inLookupSpan(() => clientWith(fetch).matchRule('CASE_CREATED_KYB_COMPANY_STANDARD', { case_id: 'c-1' }));
    const call = tracing.span('POST /rules/match');
    expect(call.kind).to.equal(SpanKind.CLIENT);
    expect(call.parentSpanContext?.spanId).to.equal(lookup.spanContext().spanId);
    expect(call.attributes).to.include({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': 8081,
      'casestream.rule.trigger': 'CASE_CREATED_KYB_COMPANY_STANDARD',
    });
    expect(call.attributes['url.full']).not.to.include('secret').and.not.to.include('abc');
    expect(traceparentParts(headers[0]!.traceparent)).to.deep.include({
      traceId: lookup.spanContext().traceId,
      spanId: call.spanContext().spanId,
    });
  });

  it('fails the call span with the kind of failure and its reason', async () => {
    const { fetch } = recordingFetch(async () => respond(503, 'down'));
    await inLookupSpan(() => clientWith(fetch).matchRule('T', {}));
    const call = tracing.span('POST /rules/match');
    expect(call.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'the service answered HTTP 503' });
    expect(call.attributes).to.include({ 'http.response.status_code': 503, 'error.type': '503' });
  });

  it('makes no span and sends no traceparent for a call outside any span', async () => {
    const { fetch, headers } = recordingFetch(async () => respond(200, '[]'));
    await clientWith(fetch).matchRule('T', {});
    expect(tracing.spans()).to.have.length(0);
    expect(headers[0]).not.to.have.property('traceparent');
  });

  it("tells the lookup's span the state of the Configuration Service's circuit", async () => {
    const lookup = createCachedRuleLookup({
      url: 'http://127.0.0.1:8081',
      timeoutMs: 1_000,
      redis: null,
      circuitBreaker: { failureThreshold: 1, openSeconds: 60 },
      client: { matchRule: async () => ({ kind: 'failed', failure: 'network', reason: 'refused' }) },
    });
    const first = await inLookupSpan(() => firstValueFrom(lookup.ruleFor('T', {})));
    const second = await inLookupSpan(() => firstValueFrom(lookup.ruleFor('T', {})));
    expect([first.result.kind, second.result.kind]).to.deep.equal(['unavailable', 'unavailable']);
    const states = tracing.named('rule lookup').map((s) => s.attributes['casestream.rule.circuit']);
    expect(states).to.deep.equal(['closed', 'open']);
  });
});
