import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { expect } from 'chai';
import { personalFieldNames } from '../../../src/domain/personalData.js';
import { casestreamTracer } from '../../../src/streams/tracing/tracer.js';
import { capturingLogger } from '../../support/capturedLogs.js';
import { inMemoryTracing, type InMemoryTracing } from '../../support/tracing.js';

describe('the logger joined to traces', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = inMemoryTracing();
  });
  afterEach(async () => {
    await tracing.stop();
  });

  it('a log line written while a span is active carries its trace_id and span_id', () => {
    const { logger, lines } = capturingLogger();
    const span = casestreamTracer().startSpan('process kyc_events');
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.info({ case_id: 'c-1' }, 'message processed'));
    span.end();
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, case_id: 'c-1' });
  });

  it('carries the ids of the span active at that moment, through awaits', async () => {
    const { logger, lines } = capturingLogger();
    const outer = casestreamTracer().startSpan('outer');
    await context.with(trace.setSpan(ROOT_CONTEXT, outer), async () => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.warn({}, 'after an await');
    });
    expect(lines[0]).to.include({ span_id: outer.spanContext().spanId });
  });

  it('writes a line without trace_id or span_id when no span is active', () => {
    const { logger, lines } = capturingLogger();
    logger.info({}, 'starting casestream');
    expect(lines[0]).not.to.have.any.keys('trace_id', 'span_id');
  });
});

describe('the logger without tracing', () => {
  it('writes lines without trace_id or span_id', () => {
    const { logger, lines } = capturingLogger();
    const span = casestreamTracer().startSpan('process kyc_events');
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.info({}, 'message processed'));
    expect(lines[0]).not.to.have.any.keys('trace_id', 'span_id');
  });
});

describe('the logger and personal data', () => {
  it('censors every personal field of the inventory, at the top of a logged object and one level down', () => {
    const { logger, lines } = capturingLogger();
    const fields = Object.fromEntries(personalFieldNames().map((name) => [name, `secret-${name}`]));
    logger.info({ ...fields, person: fields, case_id: 'c-1' }, 'a careless line');
    const line = JSON.stringify(lines[0]);
    for (const name of personalFieldNames()) expect(line).not.to.contain(`secret-${name}`);
    expect(lines[0]).to.include({ case_id: 'c-1', firstname: '[redacted]' });
  });
});
