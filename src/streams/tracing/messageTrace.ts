import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { defer, Observable } from 'rxjs';
import type { Completion } from '../ports.js';
import type { InboundRecord } from '../records.js';
import { casestreamTracer, recordFailure } from './tracer.js';
import { extractTraceContext } from './traceHeaders.js';
import * as attr from './semconv.js';

/**
 * The span of one inbound message, travelling with it through the pipeline (in the decoded record
 * and its CaseWork): RxJS does not carry an async context from one subscription to the next, so
 * each step starts its child span with this explicit parent, and runs its port call inside it.
 */
export interface MessageTrace {
  readonly tracer: Tracer;
  readonly span: Span;
  /** A context holding `span` alone: what the message's steps, port calls and emissions run in. */
  readonly context: Context;
}

const recordHeader =
  (record: InboundRecord) =>
  (name: string): Buffer | string | undefined =>
    Object.hasOwn(record.headers, name) ? record.headers[name] : undefined;

/**
 * Starts the CONSUMER span of a record, continuing the W3C trace context of its headers when they
 * hold a valid one. Undefined when there is nothing to trace or propagate (no SDK registered): the
 * pipeline then does exactly what it does without tracing.
 */
export const startMessageTrace = (record: InboundRecord): MessageTrace | undefined => {
  const tracer = casestreamTracer();
  const span = tracer.startSpan(`process ${record.topic}`, { kind: SpanKind.CONSUMER }, extractTraceContext(recordHeader(record)));
  if (!isSpanContextValid(span.spanContext())) return undefined;
  if (span.isRecording()) {
    span.setAttributes({
      [attr.MESSAGING_SYSTEM]: 'kafka',
      [attr.MESSAGING_OPERATION_NAME]: 'process',
      [attr.MESSAGING_OPERATION_TYPE]: 'process',
      [attr.MESSAGING_DESTINATION_NAME]: record.topic,
      [attr.MESSAGING_DESTINATION_PARTITION_ID]: String(record.partition),
      [attr.MESSAGING_KAFKA_OFFSET]: Number(record.offset),
      [attr.MESSAGING_MESSAGE_BODY_SIZE]: record.value?.length ?? 0,
    });
  }
  return { tracer, span, context: trace.setSpan(ROOT_CONTEXT, span) };
};

/** What a step's span says: attributes known before its call, and those its call's value adds. */
export interface StepSpan<T> {
  readonly attributes?: () => Attributes;
  readonly onValue?: (span: Span, value: T) => void;
}

/**
 * A step's port call as a child span of its message: the call is made, and subscribed to, with
 * that span active, so the adapter sees it (its batch links to it, its outbound records carry it);
 * what the call emits comes back with the message's span active, so that whatever the pipeline
 * does and logs next belongs to the message. An error fails the span. Without a trace, the call
 * alone; without a recording span, only the context is propagated.
 */
export const inStepSpan = <T>(
  t: MessageTrace | undefined,
  name: string,
  call: () => Observable<T>,
  describe: StepSpan<T> = {},
): Observable<T> => {
  if (t === undefined) return call();
  return new Observable<T>((subscriber) => {
    const span = t.span.isRecording() ? t.tracer.startSpan(name, undefined, t.context) : undefined;
    if (span !== undefined && describe.attributes !== undefined) span.setAttributes(describe.attributes());
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      span?.end();
    };
    const subscription = context.with(span === undefined ? t.context : trace.setSpan(t.context, span), () =>
      defer(call).subscribe({
        next: (value) => {
          if (span !== undefined) describe.onValue?.(span, value);
          context.with(t.context, () => subscriber.next(value));
        },
        error: (error: unknown) => {
          if (span !== undefined) recordFailure(span, error);
          end();
          context.with(t.context, () => subscriber.error(error));
        },
        complete: () => {
          end();
          context.with(t.context, () => subscriber.complete());
        },
      }),
    );
    return () => {
      subscription.unsubscribe();
      end();
    };
  });
};

/** The message span's account of how the message ended; a rejection's reason makes it an error. */
const describeCompletion = (span: Span, c: Completion): void => {
  span.setAttributes({ [attr.OUTCOME]: c.outcome, [attr.EVENT_COUNT]: c.event_ids.length });
  if (c.case_id !== null) span.setAttribute(attr.CASE_ID, c.case_id);
  if (c.command_id !== null) span.setAttribute(attr.COMMAND_ID, c.command_id);
  if (c.outcome === 'rejected' && c.reason !== null) {
    span.setAttribute(attr.REJECTION_REASON, c.reason);
    span.addEvent('message rejected', { [attr.REJECTION_REASON]: c.reason });
    span.setStatus({ code: SpanStatusCode.ERROR, message: c.reason });
  }
};

/**
 * A message's whole handling inside its span: subscribed, and emitting its completion, with the
 * span active (so the completion's log line carries the message's trace); the span ends with the
 * completion, saying how the message ended, or when the handling is cut short.
 */
export const traceHandling = (t: MessageTrace | undefined, handling: Observable<Completion>): Observable<Completion> => {
  if (t === undefined) return handling;
  return new Observable<Completion>((subscriber) => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      t.span.end();
    };
    const subscription = context.with(t.context, () =>
      handling.subscribe({
        next: (c) => {
          if (!ended && t.span.isRecording()) describeCompletion(t.span, c);
          end();
          context.with(t.context, () => subscriber.next(c));
        },
        error: (error: unknown) => {
          if (!ended && t.span.isRecording()) recordFailure(t.span, error);
          end();
          context.with(t.context, () => subscriber.error(error));
        },
        complete: () => context.with(t.context, () => subscriber.complete()),
      }),
    );
    return () => {
      subscription.unsubscribe();
      end();
    };
  });
};
