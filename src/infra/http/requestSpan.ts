import { isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import { extractTraceContext } from '../../streams/tracing/traceHeaders.js';
import { casestreamTracer } from '../../streams/tracing/tracer.js';
import { HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_SCHEME } from '../../streams/tracing/semconv.js';

export interface RequestSpan {
  /** The context the request is handled in: its span active. */
  readonly context: Context;
  /**
   * Ends the span with the route that served the request (its template, or why none did), the
   * status answered and the name of the actor who asked (none when the token was refused).
   */
  end(route: string, status: number, actor?: string): void;
}

/** casestream's own attribute: the semantic conventions' enduser.id is deprecated, and an actor is a token's name, not a user. */
export const CASESTREAM_ACTOR = 'casestream.actor';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/**
 * The SERVER span of an API request (`/api/...`; health checks and metric scrapes are not traced),
 * continuing the caller's W3C `traceparent` when it sends a valid one; undefined without tracing.
 * Its name and attributes hold the method, the route template and the actor's name only: paths and
 * query strings are left out, like in the request log (they can hold personal data).
 */
export const startRequestSpan = (req: IncomingMessage): RequestSpan | undefined => {
  if (!(req.url ?? '').startsWith('/api/')) return undefined;
  const method = KNOWN_METHODS.has(req.method ?? '') ? (req.method as string) : '_OTHER';
  const span = casestreamTracer().startSpan(
    method,
    { kind: SpanKind.SERVER },
    extractTraceContext((name) => req.headers[name]),
  );
  if (!isSpanContextValid(span.spanContext())) return undefined;
  if (span.isRecording()) span.setAttributes({ [HTTP_REQUEST_METHOD]: method, [URL_SCHEME]: 'http' });
  return {
    context: trace.setSpan(ROOT_CONTEXT, span),
    end: (route, status, actor) => {
      if (route.startsWith('/')) {
        span.updateName(`${method} ${route}`);
        span.setAttribute(HTTP_ROUTE, route);
      }
      if (actor !== undefined) span.setAttribute(CASESTREAM_ACTOR, actor);
      span.setAttribute(HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
};
