import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { idFor } from '../../../src/domain/deterministicId.js';
import { casePipeline } from '../../../src/streams/casePipeline.js';
import type { InboundRecord } from '../../../src/streams/records.js';
import { decodeRecord } from '../../../src/streams/steps/decodeRecord.js';
import { capturingLogger } from '../../support/capturedLogs.js';
import { FakePorts } from '../../support/fakePorts.js';
import { CLIENT_TOPIC, COMMAND_TOPIC, kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { inMemoryTracing, PRODUCER_SPAN_ID, PRODUCER_TRACE_ID, PRODUCER_TRACEPARENT, type InMemoryTracing } from '../../support/tracing.js';
import { ruleAnswer } from '../../marble/steps/work.js';

const topics = { clientData: CLIENT_TOPIC, commands: COMMAND_TOPIC };

/** Runs records through the composed pipeline over fake ports, to their completions. */
const handle = (fake: FakePorts, records: InboundRecord[], onRetry?: (error: unknown) => void) =>
  lastValueFrom(
    from(records).pipe(
      casePipeline(fake.ports, {
        topics,
        actors: { maxActiveCases: 10, idleMs: 1_000 },
        handler: { maxConflictRetries: 3, retryInitialMs: 1, retryMaxMs: 5, ...(onRetry ? { onRetry } : {}) },
      }),
      toArray(),
    ),
  );

const kybRecord = (headers: InboundRecord['headers'] = {}) => ({ ...recordOf(kybMessage('kyb-1'), { offset: 7 }), headers });

const childrenOf = (parent: ReadableSpan, spans: ReadableSpan[]) =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId).map((s) => s.name);

describe('the pipeline traced', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = inMemoryTracing();
  });
  afterEach(async () => {
    await tracing.stop();
  });

  it("continues the producer's trace in one CONSUMER span per message, with the messaging attributes and the case id", async () => {
    const fake = new FakePorts();
    const record = kybRecord({ traceparent: PRODUCER_TRACEPARENT, tracestate: 'vendor=abc', 'message-id': 'msg-kyb-1' });
    await handle(fake, [record]);
    const span = tracing.span('process kyc_events');
    expect(span.kind).to.equal(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).to.equal(PRODUCER_TRACE_ID);
    expect(span.parentSpanContext?.spanId).to.equal(PRODUCER_SPAN_ID);
    expect(span.spanContext().traceState?.get('vendor')).to.equal('abc');
    expect(span.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.destination.name': CLIENT_TOPIC,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 7,
      'messaging.message.id': 'msg-kyb-1',
      'casestream.case_id': idFor('msg-kyb-1', 'case'),
      'casestream.command_type': 'CreateCase',
      'casestream.outcome': 'processed',
    });
    expect(span.status.code).to.equal(SpanStatusCode.UNSET);
  });

  it("records each step of a message in a child span of the message's, with what the step did", async () => {
    const fake = new FakePorts();
    fake.ruleAnswer = ruleAnswer;
    await handle(fake, [kybRecord({ traceparent: PRODUCER_TRACEPARENT })]);
    const message = tracing.span('process kyc_events');
    expect(childrenOf(message, tracing.spans())).to.have.members([
      'decode',
      'rule lookup',
      'append',
      'project',
      'publish notifications',
      'raw copy',
    ]);
    for (const span of tracing.spans()) expect(span.spanContext().traceId, span.name).to.equal(PRODUCER_TRACE_ID);
    expect(tracing.span('decode').attributes).to.include({ 'casestream.outcome': 'decoded', 'casestream.command_type': 'CreateCase' });
    expect(tracing.span('rule lookup').attributes).to.include({
      'casestream.rule.trigger': 'CASE_CREATED_KYB_COMPANY_STANDARD',
      'casestream.rule.answer': 'rule',
      'casestream.rule.id': ruleAnswer.kind === 'rule' ? ruleAnswer.rule.rule_id : '',
      'casestream.rule.cache': 'miss',
    });
    const stored = fake.events.filter((e) => e.aggregate_id === idFor('kyc_events/0/7', 'case'));
    expect(tracing.span('append').attributes).to.include({
      'casestream.events': fake.events.length,
      'casestream.case.version': stored.length,
      'casestream.append.result': 'appended',
      'casestream.append.duplicates': 0,
    });
    expect(tracing.span('project').attributes['casestream.read_model.writes']).to.be.greaterThan(0);
    expect(tracing.span('publish notifications').attributes).to.include({ 'casestream.events': 1 });
    expect(tracing.span('raw copy').attributes).to.include({ 'casestream.outcome': 'processed' });
  });

  it('records a rejection on the message span as an error with its reason, and the dead letter in a span of its own', async () => {
    const fake = new FakePorts();
    await handle(fake, [recordOf({ ...kycMessage('bad'), version: '2.0' }, { offset: 3 })]);
    const message = tracing.span('process kyc_events');
    const reason = fake.deadLetters[0]!.why.reason;
    expect(reason).to.match(/version/);
    expect(message.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: reason });
    expect(message.attributes).to.include({ 'casestream.outcome': 'rejected', 'casestream.rejection.reason': reason });
    expect(message.events.map((e) => [e.name, e.attributes?.['casestream.rejection.reason']])).to.deep.equal([
      ['message rejected', reason],
    ]);
    expect(tracing.span('decode').attributes).to.include({ 'casestream.outcome': 'rejected', 'casestream.rejection.reason': reason });
    expect(tracing.span('dead letter').attributes).to.include({ 'casestream.rejection.reason': reason });
    expect(childrenOf(message, tracing.spans())).to.include.members(['decode', 'dead letter', 'raw copy']);
  });

  it('keeps the content of a message out of every span, as out of the logs', async () => {
    const fake = new FakePorts();
    fake.ruleAnswer = ruleAnswer;
    await handle(fake, [kybRecord(), recordOf({ ...kycMessage('bad'), persons: [{ firstname: 'Jane' }] }, { offset: 8 })]);
    const text = JSON.stringify(tracing.spans().map((s) => [s.name, s.attributes, s.events, s.status]));
    for (const personal of ['Jane', 'Director', 'Ultimate', 'Test Corp', '1985-03-20', 'C09876', 'London'])
      expect(text).not.to.include(personal);
  });

  it('starts a new trace for a record whose trace headers are malformed or oversized, and handles the record all the same', async () => {
    const zeros = '0'.repeat(32);
    const hostile: InboundRecord['headers'][] = [
      { traceparent: 'garbage' },
      { traceparent: `ff-${PRODUCER_TRACE_ID}-${PRODUCER_SPAN_ID}-01` },
      { traceparent: `00-${zeros}-${PRODUCER_SPAN_ID}-01` },
      { traceparent: `00-${PRODUCER_TRACE_ID}-${'0'.repeat(16)}-01` },
      { traceparent: `${PRODUCER_TRACEPARENT}-extra` },
      { traceparent: `${PRODUCER_TRACEPARENT}\n` + 'x'.repeat(10) },
      { traceparent: `01-${PRODUCER_TRACE_ID}-${PRODUCER_SPAN_ID}-01-${'a'.repeat(10_000)}` },
      { traceparent: Buffer.from([0xff, 0xfe, 0x00, 0x41]) },
      { traceparent: PRODUCER_TRACEPARENT.toUpperCase() },
    ];
    const fake = new FakePorts();
    const records = hostile.map((headers, i) => ({ ...recordOf(kycMessage(`c${i}`), { offset: i }), headers }));
    const completions = await handle(fake, records);
    expect(completions.map((c) => c.outcome)).to.deep.equal(hostile.map(() => 'processed'));
    const messages = tracing.named('process kyc_events');
    expect(messages).to.have.length(hostile.length);
    for (const span of messages) {
      expect(span.parentSpanContext, JSON.stringify(span.attributes)).to.equal(undefined);
      expect(span.spanContext().traceId).not.to.equal(PRODUCER_TRACE_ID);
    }
  });

  it('continues a valid traceparent without a tracestate beyond 512 characters', async () => {
    await handle(new FakePorts(), [kybRecord({ traceparent: PRODUCER_TRACEPARENT, tracestate: `vendor=${'a'.repeat(600)}` })]);
    const span = tracing.span('process kyc_events');
    expect(span.spanContext().traceId).to.equal(PRODUCER_TRACE_ID);
    expect(span.spanContext().traceState).to.equal(undefined);
  });

  it("writes the log lines of a message's handling with its span active: they carry its trace_id and span_id", async () => {
    const { logger, lines } = capturingLogger();
    const fake = new FakePorts();
    fake.failNextAppends = 1;
    await handle(fake, [kybRecord({ traceparent: PRODUCER_TRACEPARENT })], () => logger.warn({}, 'infrastructure failure, retrying'));
    const message = tracing.span('process kyc_events');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ trace_id: PRODUCER_TRACE_ID, span_id: message.spanContext().spanId });
    expect(tracing.named('append').map((s) => s.status.code)).to.deep.equal([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  });
});

describe('the pipeline without tracing', () => {
  it('gives a message no span and nothing to carry, even with a traceparent header', () => {
    const decoded: unknown[] = [];
    from([kybRecord({ traceparent: PRODUCER_TRACEPARENT })])
      .pipe(decodeRecord(topics))
      .subscribe((d) => decoded.push(d));
    expect(decoded).to.have.length(1);
    expect(decoded[0]).not.to.have.property('trace');
  });
});
