import { propagation, ROOT_CONTEXT, type Context, type TextMapGetter } from '@opentelemetry/api';

/** A header as Kafka (text or bytes) or node:http (text, or a list) hands it over. */
export type HeaderValue = Buffer | string | readonly string[] | undefined;

/** Looks a header up by its (lower-case) name. */
export type HeaderLookup = (name: string) => HeaderValue;

/**
 * The most characters read of each W3C trace header: a version-00 `traceparent` is 55 characters
 * (later versions may append fields); a `tracestate` must be propagated up to 512 and may be
 * dropped beyond. A longer value is ignored unread, so a hostile header costs nothing to refuse.
 */
const LIMITS = new Map([
  ['traceparent', 256],
  ['tracestate', 512],
]);

const bounded = (value: HeaderValue, limit: number): string | undefined => {
  const first = Array.isArray(value) ? (value as readonly string[])[0] : (value as Buffer | string | undefined);
  if (first === undefined || first.length > limit) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
};

const getter: TextMapGetter<HeaderLookup> = {
  keys: () => [...LIMITS.keys()],
  get: (lookup, key) => {
    const limit = LIMITS.get(key);
    return limit === undefined ? undefined : bounded(lookup(key), limit);
  },
};

/**
 * The trace context an inbound message or request continues: its `traceparent` and `tracestate`
 * headers, through the registered propagator (W3C trace context when tracing is on, which parses
 * them strictly and ignores anything malformed; nothing at all otherwise). Only those two headers
 * are read, each within its bound.
 */
export const extractTraceContext = (lookup: HeaderLookup): Context => propagation.extract(ROOT_CONTEXT, lookup, getter);
