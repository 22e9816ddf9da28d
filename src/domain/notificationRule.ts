import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { bool, decodeWith, nonEmptyStr, nullable, objectOf, optional, str } from './codecs.js';
import type { FieldError } from './rejection.js';

/** A rule as the Configuration Service answers it from `POST /rules/match`. */
export const notificationRuleCodec = objectOf('notification rule', {
  rule_id: nonEmptyStr,
  is_active: optional(bool, true),
  notification_type: nonEmptyStr,
  template_id: nullable(str),
  language_code: nullable(str),
});
export type NotificationRule = t.TypeOf<typeof notificationRuleCodec>;

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
