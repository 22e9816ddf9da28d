import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { bool, decodeWith, nonEmptyStr, nullable, objectOf, optional, str } from './codecs.js';
import type { FieldError } from './rejection.js';

const ruleFields = objectOf('notification rule', {
  rule_id: nonEmptyStr,
  is_active: optional(bool, true),
  notification_type: nonEmptyStr,
  template_id: nullable(str),
  language_code: nullable(str),
});

/** A rule as the Configuration Service answers it from `POST /rules/match`. */
export type NotificationRule = t.TypeOf<typeof ruleFields> & {
  /** The rule's version, when the service gives one. */
  readonly version?: string | number;
};

const isRuleVersion = (u: unknown): u is string | number =>
  (typeof u === 'string' && u.trim().length > 0) || (typeof u === 'number' && Number.isFinite(u));

const versionOf = (u: unknown): unknown => (u as { readonly version?: unknown }).version;

/**
 * The rule codec. `version` is kept when it is a non-empty string or a finite number and left out
 * otherwise: it only documents the rule, and a rule must not stop applying because of its shape
 * (it was an ignored extra field before casestream recorded it).
 */
export const notificationRuleCodec = new t.Type<NotificationRule, unknown, unknown>(
  ruleFields.name,
  (u): u is NotificationRule => ruleFields.is(u) && (versionOf(u) === undefined || isRuleVersion(versionOf(u))),
  (u, c) =>
    E.map((rule: t.TypeOf<typeof ruleFields>): NotificationRule => {
      const version = versionOf(u);
      return isRuleVersion(version) ? { ...rule, version } : rule;
    })(ruleFields.validate(u, c)),
  t.identity,
);

/**
 * Where a lookup's answer came from: `fresh`, the Configuration Service answered this lookup (or
 * the concurrent lookup of the same trigger it joined); `cache`, a cached answer still fresh;
 * `stale`, an expired cached answer, served because the service failed or its circuit was open.
 */
export type RuleSource = 'fresh' | 'cache' | 'stale';

/** A rule that applies, as a lookup found it. */
export interface FoundRule {
  readonly rule: NotificationRule;
  readonly source: RuleSource;
  /** When the Configuration Service gave this answer (ISO-8601); for a cached answer, when it was cached. */
  readonly fetched_at: string;
}

const decodeRule = decodeWith(notificationRuleCodec);

export interface RuleSelection {
  /** The first valid active rule, or null when there is none. */
  readonly rule: NotificationRule | null;
  /** Entries that were skipped because they were malformed, with why. */
  readonly skipped: readonly { readonly index: number; readonly errors: readonly FieldError[] }[];
}

/**
 * Picks the rule that applies from the service's answer: a JSON array in priority order
 * (a single rule object is accepted too). Malformed entries are skipped, not fatal.
 * Left when the answer is neither an array nor an object.
 */
export const selectRule = (answer: unknown): E.Either<string, RuleSelection> => {
  const entries = Array.isArray(answer) ? answer : typeof answer === 'object' && answer !== null ? [answer] : null;
  if (entries === null) return E.left('the answer is neither a JSON array nor a JSON object');
  const skipped: { index: number; errors: FieldError[] }[] = [];
  for (const [index, entry] of entries.entries()) {
    const decoded = decodeRule(entry);
    if (E.isLeft(decoded)) skipped.push({ index, errors: decoded.left });
    else if (decoded.right.is_active) return E.right({ rule: decoded.right, skipped });
  }
  return E.right({ rule: null, skipped });
};
