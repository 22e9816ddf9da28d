import { context, propagation, trace, type Context } from '@opentelemetry/api';

const NONE: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The W3C `traceparent` (and `tracestate`) headers of a context (by default the active one) for a
 * record or request casestream sends, so that whoever handles it joins the trace; none without a
 * span or without tracing.
 */
export const outboundTraceHeaders = (ctx: Context = context.active()): Readonly<Record<string, string>> => {
  if (trace.getSpan(ctx) === undefined) return NONE;
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers);
  return headers;
};
