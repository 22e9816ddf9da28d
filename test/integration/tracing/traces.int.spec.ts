import { expect } from 'chai';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import { HARNESS_REDIS_URL, ServiceHarness, type ReceivedMessage } from '../../support/serviceHarness.js';
import { CONFIG_SERVICE_URL, uniqueName, waitFor } from '../../support/stack.js';
import { kybMessage, kycMessage } from '../../support/records.js';
import { traceparentParts } from '../../support/tracing.js';
import { JAEGER_QUERY_URL, OTLP_HTTP_ENDPOINT, spanNamed as one, traceById, type Trace } from '../../support/jaeger.js';

const KYB_TRIGGER = 'CASE_CREATED_KYB_COMPANY_STANDARD';

/** A producer's span of a trace of its own: its W3C traceparent, sampled. */
const producerSpan = () => {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
};

/** The spans of a service's traces with that operation name, and what each links to (Jaeger's search API). */
const linkedSpans = async (service: string, operation: string): Promise<{ traceId: string; spanId: string; links: string[] }[]> => {
  const query = new URLSearchParams({ service, operation, limit: '50', lookback: '1h' });
  const res = await fetch(`${JAEGER_QUERY_URL}/api/traces?${query.toString()}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as {
    data:
      | { traceID: string; spans: { spanID: string; operationName: string; references: { refType: string; spanID: string }[] | null }[] }[]
      | null;
  };
  return (body.data ?? []).flatMap((t) =>
    t.spans
      .filter((span) => span.operationName === operation)
      .map((span) => ({
        traceId: t.traceID.padStart(32, '0'),
        spanId: span.spanID,
        links: (span.references ?? []).filter((r) => r.refType === 'FOLLOWS_FROM').map((r) => r.spanID),
      })),
  );
};

/** Waits until the trace holds a span of every name (the service exports in batches, every 5 s). */
const traceWith = (traceId: string, names: readonly string[]): Promise<Trace> =>
  traceById(traceId, { until: (t) => names.every((n) => t.spans.some((s) => s.operationName === n)), waitMs: 30_000 });

describe('casestream traced into the stack’s Jaeger', function () {
  this.timeout(120_000);
  const serviceName = uniqueName('casestream-traces');
  let harness: ServiceHarness;
  let clientTopic: string;
  let commandTopic: string;
  /** The KYB case the first test creates; the REST command works on it. */
  let kybCase: Record<string, unknown> | undefined;
  /** Its message's append span. */
  let appendSpanId: string | undefined;

  before(async () => {
    // The Configuration Service must be asked (not the rule cache) for its span to be in the trace.
    const redis = new Redis(HARNESS_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.del(ruleCacheKey(KYB_TRIGGER));
    } finally {
      redis.disconnect();
    }
    harness = await new ServiceHarness({
      CONFIG_SERVICE_URL,
      OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_HTTP_ENDPOINT,
      OTEL_SERVICE_NAME: serviceName,
    }).start();
    clientTopic = harness.env.KAFKA_TOPIC_NAME;
    commandTopic = harness.env.KAFKA_COMMAND_TOPIC;
  });

  after(async () => {
    await harness?.stop();
  });

  it("follows a KYB client message in one trace with the producer's trace id, from the consumer span to the notification it published", async () => {
    const producer = producerSpan();
    const clientId = uniqueName('kyb-traced');
    const messageId = `${clientId}-msg`;
    await harness.sendClientData({ value: kybMessage(clientId), messageId, headers: { traceparent: producer.traceparent } });
    kybCase = await harness.caseOf(clientId);
    const caseId = kybCase.id as string;
    const notification: ReceivedMessage = await waitFor(() => harness.notifications.find((n) => n.key === caseId), 20_000, {
      description: 'the notification of the case',
    });

    const trace = await traceWith(producer.traceId, [
      `process ${clientTopic}`,
      'decode',
      'rule lookup',
      'POST /rules/match',
      'append',
      'project',
      'publish notifications',
    ]);
    expect(trace.traceId).to.equal(producer.traceId);
    expect(new Set(trace.spans.map((s) => s.serviceName))).to.deep.equal(new Set([serviceName]));

    const consumer = one(trace, `process ${clientTopic}`);
    expect(consumer.parentSpanId).to.equal(producer.spanId);
    expect(consumer.kind).to.equal('consumer');
    expect(consumer.tags['messaging.system']).to.equal('kafka');
    expect(consumer.tags['messaging.destination.name']).to.equal(clientTopic);
    expect(consumer.tags['messaging.message.id']).to.equal(messageId);
    expect(consumer.tags['messaging.kafka.offset']).to.be.a('number');
    expect(consumer.tags['messaging.destination.partition.id']).to.be.a('string');
    expect(consumer.tags['casestream.case_id']).to.equal(caseId);
    expect(consumer.tags['casestream.outcome']).to.equal('processed');

    for (const step of ['decode', 'rule lookup', 'append', 'project', 'publish notifications', 'raw copy']) {
      expect(one(trace, step).parentSpanId, step).to.equal(consumer.spanId);
    }
    const lookup = one(trace, 'rule lookup');
    expect(lookup.tags['casestream.rule.trigger']).to.equal(KYB_TRIGGER);
    expect(lookup.tags['casestream.rule.answer']).to.equal('rule');
    expect(lookup.tags['casestream.rule.id']).to.equal('EMAIL_WELCOME_KYB');
    expect(lookup.tags['casestream.rule.cache']).to.equal('miss');
    expect(lookup.tags['casestream.rule.circuit']).to.equal('closed');
    const http = one(trace, 'POST /rules/match');
    expect(http.parentSpanId).to.equal(lookup.spanId);
    expect(http.kind).to.equal('client');
    expect(http.tags['http.request.method']).to.equal('POST');
    expect(http.tags['http.response.status_code']).to.equal(200);
    expect(http.tags['url.full']).to.equal(`${CONFIG_SERVICE_URL}/rules/match`);
    const append = one(trace, 'append');
    appendSpanId = append.spanId;
    const events = await harness.events(caseId);
    expect(append.tags['casestream.append.result']).to.equal('appended');
    expect(append.tags['casestream.case.version']).to.equal(events.length);
    expect(append.tags['casestream.events']).to.be.greaterThan(events.length); // the company's events too
    expect(one(trace, 'project').tags['casestream.read_model.writes']).to.be.greaterThan(0);
    expect(one(trace, 'publish notifications').tags['casestream.events']).to.equal(1);

    const published = traceparentParts(notification.headers.traceparent);
    expect(published?.traceId).to.equal(producer.traceId);
    expect(published?.spanId).to.equal(one(trace, 'publish notifications').spanId);
  });

  it("links the batched insert that stored the message's events to the message's append span, from a trace of its own", async () => {
    expect(appendSpanId, 'the append span of the first test').not.to.equal(undefined);
    const insert = await waitFor(
      async () => (await linkedSpans(serviceName, 'insert domain_events')).find((s) => s.links.includes(appendSpanId!)),
      20_000,
      { description: 'the insert linked to the append' },
    );
    const trace = await traceById(insert.traceId);
    const span = one(trace, 'insert domain_events');
    expect(span.parentSpanId).to.equal(undefined);
    expect(span.kind).to.equal('client');
    expect(span.tags).to.include({ 'db.system.name': 'mongodb', 'db.collection.name': 'domain_events', 'db.operation.name': 'insert' });
    expect(span.tags['casestream.batch.callers']).to.be.at.least(1);
  });

  it('puts a REST command and its processing in the trace of the caller', async () => {
    expect(kybCase, 'the KYB case of the first test').not.to.equal(undefined);
    const caseId = kybCase!.id as string;
    const persons = (await (await fetch(`${harness.httpUrl}/api/v1/persons/case/${caseId}`)).json()) as { id: string }[];
    const caller = producerSpan();
    const response = await fetch(`${harness.httpUrl}/api/v1/documents/determine-requirements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: caller.traceparent },
      body: JSON.stringify({ case_id: caseId, entity_id: persons[0]!.id, entity_type: 'PERSON' }),
    });
    expect(response.status).to.equal(202);
    const { command_id } = (await response.json()) as { command_id: string };
    await waitFor(
      async () =>
        ((await (await fetch(`${harness.httpUrl}/api/v1/commands/${command_id}`)).json()) as { status?: string }).status === 'processed',
      20_000,
      { description: 'the command processed' },
    );

    const route = '/api/v1/documents/determine-requirements';
    const trace = await traceWith(caller.traceId, [`POST ${route}`, `send ${commandTopic}`, `process ${commandTopic}`]);
    const server = one(trace, `POST ${route}`);
    expect(server.parentSpanId).to.equal(caller.spanId);
    expect(server.kind).to.equal('server');
    expect(server.tags['http.route']).to.equal(route);
    expect(server.tags['http.response.status_code']).to.equal(202);
    const send = one(trace, `send ${commandTopic}`);
    expect(send.parentSpanId).to.equal(server.spanId);
    expect(send.tags['messaging.message.id']).to.equal(command_id);
    const processing = one(trace, `process ${commandTopic}`);
    expect(processing.parentSpanId).to.equal(send.spanId);
    expect(processing.tags['casestream.command_id']).to.equal(command_id);
    expect(processing.tags['casestream.outcome']).to.equal('processed');
    expect(one(trace, 'command result').parentSpanId).to.equal(processing.spanId);
  });

  it('shows the reason of a dead-lettered message in its trace, which the dead letter carries on', async () => {
    const producer = producerSpan();
    const clientId = uniqueName('rejected-traced');
    await harness.sendClientData({
      value: { ...kycMessage(clientId), version: '2.0' },
      messageId: `${clientId}-msg`,
      headers: { traceparent: producer.traceparent },
    });
    const letter = await waitFor(() => harness.deadLetters.find((d) => d.headers['message-id'] === `${clientId}-msg`), 20_000, {
      description: 'the dead letter',
    });
    const reason = letter.headers['x-error-reason']!;
    expect(reason).to.match(/version/);

    const trace = await traceWith(producer.traceId, [`process ${clientTopic}`, 'decode', 'dead letter']);
    const consumer = one(trace, `process ${clientTopic}`);
    expect(consumer.parentSpanId).to.equal(producer.spanId);
    expect(consumer.tags['otel.status_code']).to.equal('ERROR');
    expect(consumer.tags['otel.status_description']).to.equal(reason);
    expect(consumer.tags['casestream.rejection.reason']).to.equal(reason);
    expect(consumer.events.map((e) => [e.name, e.attributes['casestream.rejection.reason']])).to.deep.equal([['message rejected', reason]]);
    const deadLetter = one(trace, 'dead letter');
    expect(deadLetter.parentSpanId).to.equal(consumer.spanId);
    expect(deadLetter.tags['casestream.rejection.reason']).to.equal(reason);
    expect(traceparentParts(letter.headers.traceparent)).to.deep.include({ traceId: producer.traceId, spanId: deadLetter.spanId });
  });
});
