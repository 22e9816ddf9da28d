import * as E from 'fp-ts/lib/Either.js';
import nodeFetch from 'node-fetch';
import { selectRule, type NotificationRule } from '../../domain/notificationRule.js';
import type { FieldError } from '../../domain/rejection.js';
import { redactUrls } from '../logger.js';
import { describeError } from '../../lib/errors.js';

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

export const createConfigServiceClient = (options: ConfigServiceClientOptions): ConfigServiceClient => {
  const endpoint = matchUrl(options.url);
  const doFetch: FetchLike = options.fetch ?? (nodeFetch as unknown as FetchLike);
  const { timeoutMs } = options;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);

  const matchRule = async (trigger: string, context: Readonly<Record<string, unknown>>): Promise<ConfigServiceResult> => {
    const signal = AbortSignal.timeout(timeoutMs);
    const timedOut = (): boolean => signal.aborted;
    let text: string;
    try {
      const response = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ event_trigger: trigger, context }),
        signal,
      });
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

  return { matchRule };
};
