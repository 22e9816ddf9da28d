import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../../src/infra/logger.js';
import type { TelemetrySettings } from '../../../src/infra/settings.js';
import { casestreamTracer } from '../../../src/streams/tracing/tracer.js';
import { samplerFor, startTelemetry, type Telemetry } from '../../../src/telemetry.js';
import { capturingLogger } from '../../support/capturedLogs.js';

const settings = (more: Partial<TelemetrySettings> = {}): TelemetrySettings => ({
  serviceName: 'casestream-test',
  tracesUrl: undefined,
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
  ...more,
});
const silent = createLogger('silent');

/** A loopback OTLP/HTTP receiver that keeps the bodies posted to it. */
const otlpReceiver = async (): Promise<{ url: string; bodies: { path: string; body: string }[]; close(): Promise<void> }> => {
  const bodies: { path: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
};

const decision = (sampler: ReturnType<typeof samplerFor>, parent: 'none' | 'sampled' | 'unsampled', traceId = 'f'.repeat(32)) => {
  const ctx =
    parent === 'none'
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: '1'.repeat(16),
          traceFlags: parent === 'sampled' ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  return sampler.shouldSample(ctx, traceId, 'process kyc_events', SpanKind.CONSUMER, {}, []).decision;
};

describe('startTelemetry', () => {
  const started: Telemetry[] = [];
  afterEach(async () => {
    for (const t of started.splice(0)) await t.shutdown();
  });

  it('registers nothing without an endpoint: spans stay non-recording and nothing is propagated', () => {
    const telemetry = startTelemetry(settings(), silent);
    started.push(telemetry);
    expect(telemetry.enabled).to.equal(false);
    const span = casestreamTracer().startSpan('process kyc_events');
    expect(span.isRecording()).to.equal(false);
    expect(context.with(trace.setSpan(ROOT_CONTEXT, span), () => trace.getActiveSpan())).to.equal(undefined);
  });

  it('exports spans over OTLP/HTTP to the endpoint, under the service name, and flushes them on shutdown', async () => {
    const receiver = await otlpReceiver();
    try {
      const telemetry = startTelemetry(settings({ tracesUrl: receiver.url, serviceName: 'casestream-otlp-test' }), silent);
      expect(telemetry.enabled).to.equal(true);
      casestreamTracer().startSpan('process kyc_events').end();
      await telemetry.shutdown();
      expect(receiver.bodies.map((b) => b.path)).to.deep.equal(['/v1/traces']);
      expect(receiver.bodies[0]!.body).to.include('process kyc_events').and.to.include('casestream-otlp-test');
    } finally {
      await receiver.close();
    }
  });

  it('reports an export that failed as one warning line, without the stack, outside any span', async () => {
    const closed = await otlpReceiver();
    await closed.close();
    const { logger, lines } = capturingLogger();
    // The SDK's own variables (read when it is made): export at once, give up retrying after 300 ms.
    const sdkEnv = { OTEL_BSP_SCHEDULE_DELAY: '10', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '300' };
    Object.assign(process.env, sdkEnv);
    let telemetry: Telemetry;
    try {
      telemetry = startTelemetry(settings({ tracesUrl: closed.url }), logger);
    } finally {
      for (const name of Object.keys(sdkEnv)) delete process.env[name];
    }
    started.push(telemetry);
    const message = casestreamTracer().startSpan('process kyc_events');
    context.with(trace.setSpan(ROOT_CONTEXT, message), () => casestreamTracer().startSpan('append').end());
    const isWarning = (l: Record<string, unknown>) => String(l.msg).startsWith('opentelemetry:');
    for (let i = 0; i < 100 && !lines.some(isWarning); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const warnings = lines.filter(isWarning);
    expect(warnings).to.have.length.greaterThan(0);
    expect(warnings[0]!.msg).to.match(/^opentelemetry: .*ECONNREFUSED/);
    expect(JSON.stringify(warnings[0])).not.to.include('stack');
    expect(warnings[0]).not.to.have.any.keys('trace_id', 'span_id');
  });

  it("leaves the first service's tracing in place when a second one starts in the same process, and unregisters on shutdown", async () => {
    const first = new InMemorySpanExporter();
    const a = startTelemetry(settings(), silent, { exporter: first });
    started.push(a);
    const b = startTelemetry(settings(), silent, { exporter: new InMemorySpanExporter() });
    expect(b.enabled).to.equal(false);
    await b.shutdown();
    casestreamTracer().startSpan('still traced').end();
    expect(first.getFinishedSpans().map((s) => s.name)).to.deep.equal(['still traced']);
    await a.shutdown();
    expect(casestreamTracer().startSpan('after').isRecording()).to.equal(false);
    const c = startTelemetry(settings(), silent, { exporter: new InMemorySpanExporter() });
    started.push(c);
    expect(c.enabled).to.equal(true);
  });
});

describe('samplerFor', () => {
  it('samples as OTEL_TRACES_SAMPLER says, following the parent with the parentbased samplers', () => {
    const s = (sampler: TelemetrySettings['sampler'], samplerRatio = 1) => samplerFor({ sampler, samplerRatio });
    const { RECORD_AND_SAMPLED: yes, NOT_RECORD: no } = SamplingDecision;
    expect(decision(s('always_on'), 'unsampled')).to.equal(yes);
    expect(decision(s('always_off'), 'sampled')).to.equal(no);
    expect(decision(s('parentbased_always_on'), 'none')).to.equal(yes);
    expect(decision(s('parentbased_always_on'), 'unsampled')).to.equal(no);
    expect(decision(s('parentbased_always_off'), 'none')).to.equal(no);
    expect(decision(s('parentbased_always_off'), 'sampled')).to.equal(yes);
    expect(decision(s('traceidratio', 0), 'sampled')).to.equal(no);
    expect(decision(s('traceidratio', 1), 'none')).to.equal(yes);
    expect(decision(s('parentbased_traceidratio', 0), 'none')).to.equal(no);
    expect(decision(s('parentbased_traceidratio', 0), 'sampled')).to.equal(yes);
  });
});
