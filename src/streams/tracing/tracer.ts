import { context, SpanStatusCode, trace, type Span, type SpanKind, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { describeError } from '../../lib/errors.js';

export const TRACER_NAME = 'casestream';

let provider: TracerProvider | undefined;
let tracer: Tracer | undefined;

/**
 * casestream's tracer from the global provider as it is now: a service stopped and started again
 * in one process (tests) registers a new provider, whose tracer this then is. Without an SDK
 * registered, spans are non-recording and cost next to nothing.
 */
export const casestreamTracer = (): Tracer => {
  const current = trace.getTracerProvider();
  if (current !== provider || tracer === undefined) {
    provider = current;
    tracer = current.getTracer(TRACER_NAME);
  }
  return tracer;
};

/** Marks the span failed with the error's one-line description (what the logs say: no stack, no payload). */
export const recordFailure = (span: Span, error: unknown): void => {
  const message = describeError(error);
  span.recordException({ name: error instanceof Error ? error.name : 'Error', message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
};

/**
 * A span for a call made while a recording span is active (an adapter's round trip on behalf of a
 * message), as its child; undefined otherwise, so that calls made outside any message (a CLI
 * command, the outbox relay) start no trace of their own.
 */
export const childOfActive = (name: string, kind: SpanKind): Span | undefined => {
  const active = context.active();
  return trace.getSpan(active)?.isRecording() === true ? casestreamTracer().startSpan(name, { kind }, active) : undefined;
};
