import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import { personalFieldNames } from '../domain/personalData.js';

export type { Logger } from 'pino';

/** Secrets that must never reach a log line, wherever they sit in a logged object. */
const SECRETS = ['password', 'token', 'authorization'];

/**
 * Personal data (the inventory's field names, see personalData.ts) and secrets that must never
 * reach a log line, at the top of a logged object or one level down. Code logs ids, positions and
 * reasons only; this is the net under that rule.
 */
const REDACTED_PATHS = [...personalFieldNames(), ...SECRETS].flatMap((name) => [name, `*.${name}`]);

/**
 * The ids of the span active when a line is logged (a message's, an API request's), so that a
 * log line leads to its trace and back; nothing without one (and so without tracing). A new
 * object each time: pino merges the line's own fields into it.
 */
export const activeSpanIds = (): { trace_id?: string; span_id?: string } => {
  const span = trace.getSpanContext(context.active());
  return span === undefined || !isSpanContextValid(span) ? {} : { trace_id: span.traceId, span_id: span.spanId };
};

/** The service's JSON logger (pino), with personal data and secrets censored, and the active span's ids on every line. */
export const createLogger = (level: string, destination?: NodeJS.WritableStream): Logger =>
  pino(
    {
      level,
      base: { service: 'casestream' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: activeSpanIds,
    },
    destination ?? process.stdout,
  );

/** Query parameters whose value is a secret: token, api_key, secret, password, auth, signature and the like. */
const SECRET_PARAMETER = /token|key|secret|pass|pwd|auth|credential|signature|sig$/i;

/**
 * Removes credentials from a URL before it is logged, stored or put in an error message: the
 * user and password, and the values of query parameters named like a secret. A URL that does not
 * parse (e.g. a MongoDB seed list) loses its user information and its whole query.
 */
export const safeUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = '***';
    for (const name of new Set(u.searchParams.keys())) if (SECRET_PARAMETER.test(name)) u.searchParams.set(name, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/?#\s]*@/, '//***@').replace(/\?.*$/, '?***');
  }
};

/** Every URL inside a text (an error message naming the URL it failed on), passed through safeUrl. */
export const redactUrls = (text: string): string => text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, safeUrl);
