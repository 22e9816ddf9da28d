import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal bodies written in another key order hash alike. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/**
 * The SHA-256 (hex) of who asks and what a command request asks for: the actor's name, its method,
 * route template, path parameters and JSON body. An Idempotency-Key is bound to it: a retry must
 * come from the same actor (who is recorded on the command) and ask for the same.
 */
export const requestFingerprint = (
  actor: string,
  method: string,
  template: string,
  params: Readonly<Record<string, string>>,
  body: unknown,
): string =>
  createHash('sha256')
    .update(canonicalJson([actor, method, template, params, body]), 'utf8')
    .digest('hex');
