import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
} from '@opentelemetry/api';
import { BATCH_CALLERS } from '../../streams/tracing/semconv.js';
import { casestreamTracer, recordFailure } from '../../streams/tracing/tracer.js';

/** The context a batched call is made in: the `tagOf` of a micro-batcher whose batches are traced. */
export const callerContext = (): Context => context.active();

export interface BatchSpanOptions<I, O> {
  readonly name: string;
  /** CLIENT (a database round trip) unless said otherwise (PRODUCER for a Kafka send). */
  readonly kind?: SpanKind;
  /** The batch's attributes, built only when its span records. */
  readonly attributes?: (items: readonly I[]) => Attributes;
  /** What the results add (e.g. how many callers' parts failed), built only when the span records. */
  readonly results?: (results: readonly O[]) => Attributes;
}

/** Links to the sampled spans the callers were in: a batch serves many messages, each of its own trace. */
const linksTo = (callers: readonly Context[]): Link[] => {
  const links: Link[] = [];
  for (const caller of callers) {
    const sc = trace.getSpanContext(caller);
    if (sc !== undefined && (sc.traceFlags & TraceFlags.SAMPLED) !== 0 && isSpanContextValid(sc)) links.push({ context: sc });
  }
  return links;
};

/**
 * A micro-batcher's `run`, traced: one span per batch, of a trace of its own, LINKED to the span
 * of every caller (see callerContext) rather than the child of any one of them. The batch runs with
 * that span active (with no span at all, not in its first caller's context, which the batcher's
 * timer would otherwise carry). A batch none of whose callers is traced has no span.
 */
export const tracedBatch =
  <I, O>(options: BatchSpanOptions<I, O>, run: (items: I[]) => Promise<O[]>) =>
  (items: I[], callers: readonly Context[]): Promise<O[]> => {
    const links = linksTo(callers);
    if (links.length === 0) return context.with(ROOT_CONTEXT, () => run(items));
    const span = casestreamTracer().startSpan(options.name, { kind: options.kind ?? SpanKind.CLIENT, links, root: true });
    if (span.isRecording()) span.setAttributes({ [BATCH_CALLERS]: items.length, ...options.attributes?.(items) });
    return context
      .with(trace.setSpan(ROOT_CONTEXT, span), () => run(items))
      .then(
        (results) => {
          if (span.isRecording() && options.results !== undefined) span.setAttributes(options.results(results));
          span.end();
          return results;
        },
        (error: unknown) => {
          recordFailure(span, error);
          span.end();
          throw error;
        },
      );
  };
