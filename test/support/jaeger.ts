// Reading traces back from the local stack's Jaeger (`npm run stack:up`, scripts/stack/jaeger.yaml)
// through its query API, GET /api/traces/{traceId}, as a small typed view for assertions.
import { LOOPBACK, sleep } from './stack.js';

/** Jaeger's query API (and UI). */
export const JAEGER_QUERY_URL = `http://${LOOPBACK}:16686`;
/** Where an OpenTelemetry SDK exports over OTLP/HTTP (the value of OTEL_EXPORTER_OTLP_ENDPOINT). */
export const OTLP_HTTP_ENDPOINT = `http://${LOOPBACK}:4318`;

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type TagValue = string | number | boolean;

/** A span link (Jaeger shows OTLP links as FOLLOWS_FROM references, without their attributes). */
export interface SpanLink {
  traceId: string;
  spanId: string;
}

/** A span event (a "log" in Jaeger's terms). */
export interface SpanEvent {
  name: string;
  attributes: Record<string, TagValue>;
}

export interface TraceSpan {
  spanId: string;
  operationName: string;
  /** From the CHILD_OF reference; undefined for a root span. */
  parentSpanId: string | undefined;
  kind: SpanKind;
  /** The span's attributes plus what Jaeger adds: span.kind, otel.status_code, error, otel.scope.name. */
  tags: Record<string, TagValue>;
  links: SpanLink[];
  events: SpanEvent[];
  serviceName: string;
  startTimeUs: number;
  durationUs: number;
}

export interface Trace {
  traceId: string;
  spans: TraceSpan[];
}

export interface TraceByIdOptions {
  /** How long to poll for the trace (spans reach Jaeger's store some time after the export). */
  waitMs?: number;
  /** Keep polling until this holds too, e.g. until the trace has a span with a given name. */
  until?: (trace: Trace) => boolean;
}

const POLL_INTERVAL_MS = 100;

/**
 * Polls Jaeger until the trace exists (and `until` holds), then returns it. Rejects after `waitMs`
 * (10 s unless set), naming the spans seen so far, so a failure says what was missing.
 */
export async function traceById(traceId: string, { waitMs = 10_000, until }: TraceByIdOptions = {}): Promise<Trace> {
  if (!/^[0-9a-f]{32}$/.test(traceId)) throw new Error(`not a W3C trace id (32 lowercase hex digits): ${traceId}`);
  const deadline = Date.now() + waitMs;
  let last: Trace | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await fetchTrace(traceId);
      lastError = undefined;
      if (last && (!until || until(last))) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(POLL_INTERVAL_MS);
  }
  // lastError: Jaeger unreachable or answering an error, or `until` itself throwing.
  const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
  if (last) {
    const seen = last.spans.map((s) => `${s.serviceName}/${s.operationName}`).join(', ');
    throw new Error(`trace ${traceId} did not reach the expected state within ${waitMs} ms; its spans: ${seen}${cause}`);
  }
  throw new Error(`trace ${traceId} not found in Jaeger at ${JAEGER_QUERY_URL} within ${waitMs} ms${cause}`);
}

/** The one span of the trace with this operation name; throws naming the trace's spans otherwise. */
export function spanNamed(trace: Trace, operationName: string): TraceSpan {
  const found = trace.spans.filter((s) => s.operationName === operationName);
  if (found.length !== 1) {
    const names = trace.spans.map((s) => s.operationName).join(', ');
    throw new Error(`trace ${trace.traceId} has ${found.length} spans named ${operationName} (its spans: ${names})`);
  }
  return found[0] as TraceSpan;
}

/** The service names Jaeger has traces of (GET /api/services). */
export async function jaegerServices(): Promise<string[]> {
  const res = await fetch(`${JAEGER_QUERY_URL}/api/services`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET /api/services answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: string[] | null }).data ?? [];
}

// ------------------------------------------------------------ Jaeger's JSON ----

interface JaegerKeyValue {
  key: string;
  type: string;
  value: TagValue;
}

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[] | null;
  startTime: number;
  duration: number;
  tags: JaegerKeyValue[] | null;
  logs: { timestamp: number; fields: JaegerKeyValue[] | null }[] | null;
  processID: string;
}

interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** The trace, or undefined while Jaeger does not have it (404). */
async function fetchTrace(traceId: string): Promise<Trace | undefined> {
  const res = await fetch(`${JAEGER_QUERY_URL}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /api/traces/${traceId} answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { data: JaegerTrace[] | null };
  const trace = body.data?.[0];
  return trace && simplify(trace);
}

// Jaeger writes a trace id whose first 64 bits are zero with 16 digits; W3C's have 32.
const traceIdOf = (id: string): string => id.padStart(32, '0');

const flat = (kvs: JaegerKeyValue[] | null): Record<string, TagValue> => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, kv.value]));

const SPAN_KINDS: readonly string[] = ['internal', 'server', 'client', 'producer', 'consumer'] satisfies SpanKind[];

function simplify(trace: JaegerTrace): Trace {
  return {
    traceId: traceIdOf(trace.traceID),
    spans: trace.spans.map((span) => {
      const tags = flat(span.tags);
      const refs = span.references ?? [];
      const parent = refs.find((r) => r.refType === 'CHILD_OF');
      const kind = String(tags['span.kind']);
      return {
        spanId: span.spanID,
        operationName: span.operationName,
        parentSpanId: parent?.spanID,
        // Jaeger leaves span.kind out when the kind is unspecified, which OpenTelemetry reads as internal.
        kind: SPAN_KINDS.includes(kind) ? (kind as SpanKind) : 'internal',
        tags,
        links: refs.filter((r) => r.refType === 'FOLLOWS_FROM').map((r) => ({ traceId: traceIdOf(r.traceID), spanId: r.spanID })),
        events: (span.logs ?? []).map((log) => {
          const { event, ...attributes } = flat(log.fields);
          return { name: String(event ?? ''), attributes };
        }),
        serviceName: trace.processes[span.processID]?.serviceName ?? '',
        startTimeUs: span.startTime,
        durationUs: span.duration,
      };
    }),
  };
}
