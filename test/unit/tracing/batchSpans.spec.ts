import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { expect } from 'chai';
import type { Message, Producer, ProducerBatch } from 'kafkajs';
import { defer, EMPTY, firstValueFrom, type Observable } from 'rxjs';
import { rejection } from '../../../src/domain/rejection.js';
import { createKafkaSinks } from '../../../src/infra/kafka/kafkaSinks.js';
import { callerContext, tracedBatch } from '../../../src/infra/telemetry/batchSpan.js';
import { createMicroBatcher } from '../../../src/lib/microBatcher.js';
import { casestreamTracer } from '../../../src/streams/tracing/tracer.js';
import { notificationsOf } from '../../../src/streams/steps/publishNotifications.js';
import { decided, ruleAnswer, workOf } from '../../marble/steps/work.js';
import { kycMessage, recordOf } from '../../support/records.js';
import { inMemoryTracing, PRODUCER_TRACEPARENT, traceparentParts, type InMemoryTracing } from '../../support/tracing.js';

/** Subscribes to `call()` with a span of its own active, as a pipeline step does; resolves with the span once the call is done. */
const callIn = async (name: string, call: () => Observable<unknown>): Promise<Span> => {
  const span = casestreamTracer().startSpan(name);
  await context.with(trace.setSpan(ROOT_CONTEXT, span), () => firstValueFrom(call(), { defaultValue: undefined }));
  span.end();
  return span;
};

/** A NotificationRequired as the domain decides it for a new KYC case. */
const decidedNotification = () => notificationsOf(decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })), ruleAnswer))[0]!;

const text = (value: Message['headers'] extends infer H ? (H extends Record<string, infer V> ? V : never) : never): string | undefined =>
  value === undefined ? undefined : String(value);

describe('batched round trips traced', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = inMemoryTracing();
  });
  afterEach(async () => {
    await tracing.stop();
  });

  it("links a batch's span to the span of every caller it serves, in a trace of its own rather than in any caller's", async () => {
    let activeInRun: Span | undefined;
    const submit = createMicroBatcher({
      maxBatch: 10,
      tagOf: callerContext,
      run: tracedBatch(
        { name: 'insert things', attributes: (items: readonly number[]) => ({ 'things.sum': items.reduce((a, b) => a + b, 0) }) },
        async (items) => {
          activeInRun = trace.getActiveSpan();
          return items.map((n) => n * 2);
        },
      ),
    });
    const callers = await Promise.all([1, 2, 3].map((n) => callIn(`caller ${n}`, () => submit(n))));
    const batch = tracing.span('insert things');
    expect(batch.kind).to.equal(SpanKind.CLIENT);
    expect(batch.parentSpanContext).to.equal(undefined);
    expect(batch.links.map((l) => l.context.spanId)).to.deep.equal(callers.map((c) => c.spanContext().spanId));
    for (const caller of callers) expect(batch.spanContext().traceId).not.to.equal(caller.spanContext().traceId);
    expect(batch.attributes).to.include({ 'casestream.batch.callers': 3, 'things.sum': 6 });
    expect(activeInRun?.spanContext().spanId).to.equal(batch.spanContext().spanId);
  });

  it('gives a batch none of whose callers is sampled no span, and runs it outside its first caller context', async () => {
    const unsampled = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.NONE });
    let activeInRun: Span | undefined = unsampled;
    const submit = createMicroBatcher({
      maxBatch: 10,
      tagOf: callerContext,
      run: tracedBatch({ name: 'insert things' }, async (items: number[]) => {
        activeInRun = trace.getActiveSpan();
        return items;
      }),
    });
    await context.with(trace.setSpan(ROOT_CONTEXT, unsampled), () => Promise.all([firstValueFrom(submit(1)), firstValueFrom(submit(2))]));
    expect(tracing.named('insert things')).to.have.length(0);
    expect(activeInRun).to.equal(undefined);
  });

  it("fails a failed batch's span with the reason, and its callers with the error", async () => {
    const submit = createMicroBatcher({
      maxBatch: 10,
      tagOf: callerContext,
      run: tracedBatch({ name: 'insert things' }, async (): Promise<number[]> => {
        throw new Error('not primary');
      }),
    });
    const failure = await callIn('caller', () => submit(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(failure)).to.include('not primary');
    expect(tracing.span('insert things').status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'not primary' });
  });
});

describe('Kafka records traced', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = inMemoryTracing();
  });
  afterEach(async () => {
    await tracing.stop();
  });

  const fakeProducer = () => {
    const sent: { topic: string; messages: Message[] }[] = [];
    const producer = {
      sendBatch: async (batch: ProducerBatch) => {
        for (const t of batch.topicMessages ?? []) sent.push({ topic: t.topic, messages: t.messages });
        return [];
      },
    } as unknown as Producer;
    return { producer, sent };
  };
  const sinksOf = (producer: Producer) =>
    createKafkaSinks(producer, {
      notificationTopic: 'notification_events',
      deadLetterTopic: 'kyc_events.dlq',
      maxBatch: 100,
      markPublished: () => EMPTY,
    });

  it('gives a notification record the traceparent of the span that published it, and the send a PRODUCER span linked to it', async () => {
    const { producer, sent } = fakeProducer();
    const sinks = sinksOf(producer);
    const publisher = await callIn('publish notifications', () => sinks.notifications.publish([decidedNotification()]));
    const header = traceparentParts(text(sent[0]!.messages[0]!.headers?.traceparent));
    expect(header).to.deep.equal({ traceId: publisher.spanContext().traceId, spanId: publisher.spanContext().spanId, flags: '01' });
    const send = tracing.span('send notification_events');
    expect(send.kind).to.equal(SpanKind.PRODUCER);
    expect(send.links.map((l) => l.context.spanId)).to.deep.equal([publisher.spanContext().spanId]);
    expect(send.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'notification_events',
      'messaging.batch.message_count': 1,
    });
  });

  it('records the acknowledgement of each notification of a batch in the span that published it', async () => {
    const { producer, sent } = fakeProducer();
    const acknowledgedIn: (string | undefined)[] = [];
    const sinks = createKafkaSinks(producer, {
      notificationTopic: 'notification_events',
      deadLetterTopic: 'kyc_events.dlq',
      maxBatch: 100,
      markPublished: () =>
        defer(() => {
          acknowledgedIn.push(trace.getActiveSpan()?.spanContext().spanId);
          return EMPTY;
        }),
    });
    const publishers = await Promise.all(
      ['first', 'second'].map((name) => callIn(`publish ${name}`, () => sinks.notifications.publish([decidedNotification()]))),
    );
    expect(sent).to.have.length(1);
    expect(acknowledgedIn).to.have.members(publishers.map((p) => p.spanContext().spanId));
  });

  it("gives a dead letter the traceparent of its rejection's span in place of the record's own, keeping the record's other headers", async () => {
    const { producer, sent } = fakeProducer();
    const sinks = sinksOf(producer);
    const record = recordOf(
      { any: 1 },
      { offset: 4, headers: { traceparent: PRODUCER_TRACEPARENT, tracestate: 'v=1', 'message-id': 'm-4' } },
    );
    const rejecter = await callIn('dead letter', () => sinks.deadLetters.send(record, rejection('the message has no value')));
    const headers = sent[0]!.messages[0]!.headers ?? {};
    expect(traceparentParts(text(headers.traceparent))).to.deep.equal({
      traceId: rejecter.spanContext().traceId,
      spanId: rejecter.spanContext().spanId,
      flags: '01',
    });
    expect(headers).not.to.have.property('tracestate');
    expect(text(headers['message-id'])).to.equal('m-4');
    expect(text(headers['x-error-reason'])).to.equal('the message has no value');
    expect(tracing.span('send kyc_events.dlq').links.map((l) => l.context.spanId)).to.deep.equal([rejecter.spanContext().spanId]);
  });

  it('sends records without trace headers, and no span, when nothing is traced', async () => {
    const { producer, sent } = fakeProducer();
    await firstValueFrom(sinksOf(producer).notifications.publish([decidedNotification()]), { defaultValue: undefined });
    expect(sent[0]!.messages[0]!.headers).not.to.have.property('traceparent');
    expect(tracing.spans()).to.have.length(0);
  });
});
