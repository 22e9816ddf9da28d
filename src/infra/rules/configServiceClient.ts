import { context as activeContext, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import * as E from 'fp-ts/lib/Either.js';
import nodeFetch from 'node-fetch';
import { selectRule, type NotificationRule } from '../../domain/notificationRule.js';
import type { FieldError } from '../../domain/rejection.js';
import { redactUrls, safeUrl } from '../logger.js';
import { describeError } from '../../lib/errors.js';
import { childOfActive } from '../../streams/tracing/tracer.js';
import {
  ERROR_TYPE,
  HTTP_REQUEST_METHOD,
  HTTP_RESPONSE_STATUS_CODE,
  RULE_TRIGGER,
  SERVER_ADDRESS,
  SERVER_PORT,
  URL_FULL,
} from '../../streams/tracing/semconv.js';
import { outboundTraceHeaders } from '../telemetry/outboundHeaders.js';

/**
 * The Configuration Service's `POST {url}/rules/match`: one HTTP call, decoded with `selectRule`.
 * Never throws and never rejects: every failure (non-2xx, network error, timeout, unparsable body)
 * is a `failed` result with a one-line reason.
 */

export type ConfigServiceResult =
  /** The service answered: the first valid active rule, or null when there is none. */
  | {
      readonly kind: 'answered';
      readonly rule: NotificationRule | null;
      /** Entries of the answer that were skipped because they were malformed. */
      readonly skipped: readonly { readonly index: number; readonly errors: readonly FieldError[] }[];
    }
  /** The service could not be asked or its answer could not be used. */
  | {
      readonly kind: 'failed';
      readonly failure: 'status' | 'network' | 'timeout' | 'malformed';
      readonly reason: string;
      /** The HTTP status, for `status` failures. */
      readonly status?: number;
    };

export interface ConfigServiceClient {
  matchRule(trigger: string, context: Readonly<Record<string, unknown>>): Promise<ConfigServiceResult>;
}

/** The part of node-fetch (or the global fetch) the client uses, so tests can pass a fake. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ readonly ok: boolean; readonly status: number; text(): Promise<string> }>;

export interface ConfigServiceClientOptions {
  /** Base URL of the Configuration Service; `/rules/match` is appended. */
  readonly url: string;
  /** Whole-request timeout (connect, headers and body), in milliseconds. */
  readonly timeoutMs: number;
  readonly fetch?: FetchLike;
}

/** `{base}/rules/match`, without doubling a trailing slash of the base. */
export const matchUrl = (base: string): string => `${base.replace(/\/+$/, '')}/rules/match`;

/** `server.address` and `server.port` of a URL (none when it does not parse). */
const serverOf = (url: string): Record<string, string | number> => {
  try {
    const u = new URL(url);
    return { [SERVER_ADDRESS]: u.hostname, [SERVER_PORT]: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return {};
  }
};

/**
 * The endpoint without the credentials a base URL may carry (`https://user:pass@host/…`), and those
 * credentials as a Basic `authorization` header: fetch refuses a URL holding credentials, and a URL
 * without them is also what spans and error messages may show.
 */
export const endpointOf = (base: string): { readonly url: string; readonly headers: Record<string, string> } => {
  const url = matchUrl(base);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, headers: {} };
  }
  if (parsed.username === '' && parsed.password === '') return { url, headers: {} };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, headers: { authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` } };
};

export const createConfigServiceClient = (options: ConfigServiceClientOptions): ConfigServiceClient => {
  const { url: endpoint, headers: credentials } = endpointOf(options.url);
  const doFetch: FetchLike = options.fetch ?? (nodeFetch as unknown as FetchLike);
  const { timeoutMs } = options;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);

  const call = async (
    trigger: string,
    context: Readonly<Record<string, unknown>>,
    span: Span | undefined,
  ): Promise<ConfigServiceResult> => {
    const signal = AbortSignal.timeout(timeoutMs);
    const timedOut = (): boolean => signal.aborted;
    let text: string;
    try {
      const response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...credentials, ...outboundTraceHeaders() },
        body: JSON.stringify({ event_trigger: trigger, context }),
        signal,
      });
      span?.setAttribute(HTTP_RESPONSE_STATUS_CODE, response.status);
      if (!response.ok) {
        // Drain (bounded by the same signal) so the connection can be reused; the body is not needed.
        await response.text().catch(() => undefined);
        return { kind: 'failed', failure: 'status', status: response.status, reason: `the service answered HTTP ${response.status}` };
      }
      text = await response.text();
    } catch (err) {
      return timedOut()
        ? { kind: 'failed', failure: 'timeout', reason: `no answer within ${timeoutMs} ms` }
        : // node-fetch names the URL in its message: its credentials must not reach logs or stored failures
          { kind: 'failed', failure: 'network', reason: `request failed: ${redactUrls(describeError(err))}` };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'failed', failure: 'malformed', reason: 'the answer is not valid JSON' };
    }
    const selection = selectRule(body);
    if (E.isLeft(selection)) return { kind: 'failed', failure: 'malformed', reason: selection.left };
    return { kind: 'answered', rule: selection.right.rule, skipped: selection.right.skipped };
  };

  const spanAttributes = { [HTTP_REQUEST_METHOD]: 'POST', [URL_FULL]: safeUrl(endpoint), ...serverOf(endpoint) };

  /**
   * The call in a CLIENT span (HTTP conventions) when a message's span is active; the request
   * carries its `traceparent`, so the service's own trace joins the message's. A failure of any
   * kind fails the span with its reason.
   */
  const matchRule = async (trigger: string, context: Readonly<Record<string, unknown>>): Promise<ConfigServiceResult> => {
    const span = childOfActive('POST /rules/match', SpanKind.CLIENT);
    if (span === undefined) return call(trigger, context, undefined);
    span.setAttributes({ ...spanAttributes, [RULE_TRIGGER]: trigger });
    try {
      const result = await activeContext.with(trace.setSpan(activeContext.active(), span), () => call(trigger, context, span));
      if (result.kind === 'failed') {
        span.setAttribute(ERROR_TYPE, result.failure === 'status' ? String(result.status) : result.failure);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
      }
      return result;
    } finally {
      span.end();
    }
  };

  return { matchRule };
};
