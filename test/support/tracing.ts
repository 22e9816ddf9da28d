import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TelemetrySettings } from '../../src/infra/settings.js';
import { createLogger } from '../../src/infra/logger.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry.js';

/** A W3C traceparent of a producer's span (sampled). */
export const PRODUCER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const PRODUCER_SPAN_ID = '00f067aa0ba902b7';
export const PRODUCER_TRACEPARENT = `00-${PRODUCER_TRACE_ID}-${PRODUCER_SPAN_ID}-01`;

/** `00-<trace id>-<span id>-<flags>` → its parts. */
export const traceparentParts = (header: string | undefined): { traceId: string; spanId: string; flags: string } | undefined => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header ?? '');
  return m ? { traceId: m[1]!, spanId: m[2]!, flags: m[3]! } : undefined;
};

export interface InMemoryTracing {
  readonly telemetry: Telemetry;
  /** The spans ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** The one ended span of that name (fails when there is none or several). */
  span(name: string): ReadableSpan;
  /** Every ended span of that name. */
  named(name: string): ReadableSpan[];
  /** Stops tracing and unregisters it (call in afterEach). */
  stop(): Promise<void>;
}

/**
 * casestream's tracing set up as the service sets it up (startTelemetry), exporting to memory as
 * each span ends, so that a test can look at the spans the code under test recorded.
 */
export const inMemoryTracing = (settings: Partial<TelemetrySettings> = {}): InMemoryTracing => {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry(
    { serviceName: 'casestream-test', tracesUrl: undefined, sampler: 'parentbased_always_on', samplerRatio: 1, ...settings },
    createLogger('silent'),
    { exporter, maxLinks: 1000 },
  );
  if (!telemetry.enabled) throw new Error('tracing was already set up in this process: a previous test did not stop it');
  const named = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
  return {
    telemetry,
    spans: () => exporter.getFinishedSpans(),
    named,
    span: (name) => {
      const found = named(name);
      if (found.length !== 1)
        throw new Error(
          `expected one span named ${name}, got ${found.length}: ${exporter
            .getFinishedSpans()
            .map((s) => s.name)
            .join(', ')}`,
        );
      return found[0]!;
    },
    stop: async () => {
      await telemetry.shutdown();
      exporter.reset();
    },
  };
};
