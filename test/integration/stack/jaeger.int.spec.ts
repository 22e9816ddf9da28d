// The stack's Jaeger as the tracing tests use it: spans exported over OTLP/HTTP (JSON built here
// by hand, so nothing depends on casestream's tracing) come back through its query API and
// test/support/jaeger.ts. Requires `npm run stack:up` (or `npm run stack:up -- jaeger`).
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { JAEGER_QUERY_URL, OTLP_HTTP_ENDPOINT, jaegerServices, spanNamed, traceById } from '../../support/jaeger.js';
import { sleep, uniqueName } from '../../support/stack.js';

const hexId = (bytes: number): string => randomBytes(bytes).toString('hex');

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean } | { doubleValue: number };

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes?: { key: string; value: AnyValue }[];
  links?: { traceId: string; spanId: string }[];
  events?: { name: string; timeUnixNano: string; attributes?: { key: string; value: AnyValue }[] }[];
}

/** POST {endpoint}/v1/traces: one ExportTraceServiceRequest with one resourceSpans. */
async function exportSpans(serviceName: string, spans: OtlpSpan[]): Promise<void> {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [
          {
            scope: { name: 'casestream-jaeger-test' },
            spans: spans.map((span) => ({
              ...span,
              startTimeUnixNano: String(nowNs),
              endTimeUnixNano: String(nowNs + 5_000_000n),
            })),
          },
        ],
      },
    ],
  };
  const res = await fetch(`${OTLP_HTTP_ENDPOINT}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(5000),
  });
  const body = await res.text();
  expect(res.status, body).to.equal(200);
  // A partial success names spans the receiver rejected.
  expect(JSON.parse(body)).not.to.have.nested.property('partialSuccess.rejectedSpans');
}

describe('Local stack: Jaeger', function () {
  this.timeout(20_000);

  describe('a span exported over OTLP/HTTP', () => {
    const serviceName = uniqueName('jaeger-test');
    const traceId = hexId(16);
    const remoteParentId = hexId(8);
    const spanId = hexId(8);
    const linked = { traceId: hexId(16), spanId: hexId(8) };

    before(async () => {
      await exportSpans(serviceName, [
        {
          traceId,
          spanId,
          // The parent is another service's span (as with a traceparent header), never exported here.
          parentSpanId: remoteParentId,
          name: 'kyc_events process',
          kind: 5,
          attributes: [
            { key: 'messaging.system', value: { stringValue: 'kafka' } },
            { key: 'messaging.kafka.message.offset', value: { intValue: '42' } },
            { key: 'casestream.retried', value: { boolValue: true } },
            { key: 'casestream.ratio', value: { doubleValue: 0.25 } },
          ],
          links: [linked],
          events: [
            {
              name: 'rejected',
              timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
              attributes: [{ key: 'reason', value: { stringValue: 'schema' } }],
            },
          ],
        },
      ]);
    });

    it('is found by its trace id with its name, kind, parent, attributes, link, event and service', async () => {
      const trace = await traceById(traceId);
      expect(trace.traceId).to.equal(traceId);
      expect(trace.spans).to.have.length(1);
      const span = spanNamed(trace, 'kyc_events process');
      expect(span).to.deep.include({
        spanId,
        parentSpanId: remoteParentId,
        kind: 'consumer',
        serviceName,
        links: [linked],
        events: [{ name: 'rejected', attributes: { reason: 'schema' } }],
      });
      expect(span.tags).to.include({
        'messaging.system': 'kafka',
        'messaging.kafka.message.offset': 42,
        'casestream.retried': true,
        'casestream.ratio': 0.25,
      });
      expect(span.durationUs).to.equal(5000);
    });

    it('makes its service one of those the query API lists', async () => {
      expect(await jaegerServices()).to.include(serviceName);
    });
  });

  describe('traceById', () => {
    it('keeps a trace id whose first half is zeros at 32 digits, and reads a span without a parent as a root', async () => {
      const traceId = '0'.repeat(16) + hexId(8);
      await exportSpans(uniqueName('jaeger-test'), [{ traceId, spanId: hexId(8), name: 'root', kind: 1 }]);
      const trace = await traceById(traceId);
      expect(trace.traceId).to.equal(traceId);
      expect(spanNamed(trace, 'root')).to.deep.include({ parentSpanId: undefined, kind: 'internal', links: [] });
    });

    it('waits until the trace satisfies the condition, so spans exported later are there', async () => {
      const serviceName = uniqueName('jaeger-test');
      const traceId = hexId(16);
      const rootId = hexId(8);
      await exportSpans(serviceName, [{ traceId, spanId: rootId, name: 'first', kind: 2 }]);
      const later = sleep(500).then(() =>
        exportSpans(serviceName, [{ traceId, spanId: hexId(8), parentSpanId: rootId, name: 'second', kind: 3 }]),
      );
      const trace = await traceById(traceId, { until: (t) => t.spans.some((s) => s.operationName === 'second') });
      await later;
      expect(trace.spans.map((s) => s.operationName).sort()).to.deep.equal(['first', 'second']);
      expect(spanNamed(trace, 'second')).to.deep.include({ parentSpanId: rootId, kind: 'client' });
    });

    it('fails after waitMs naming the spans it saw when the condition never holds', async () => {
      const serviceName = uniqueName('jaeger-test');
      const traceId = hexId(16);
      await exportSpans(serviceName, [{ traceId, spanId: hexId(8), name: 'only', kind: 1 }]);
      await traceById(traceId);
      const error = await traceById(traceId, { waitMs: 300, until: () => false }).catch((err: unknown) => err);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.contain(`${serviceName}/only`);
    });

    it('fails after waitMs saying the trace was not found when Jaeger never had it', async () => {
      const traceId = hexId(16);
      const error = await traceById(traceId, { waitMs: 300 }).catch((err: unknown) => err);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.contain(`trace ${traceId} not found in Jaeger at ${JAEGER_QUERY_URL}`);
    });
  });
});
