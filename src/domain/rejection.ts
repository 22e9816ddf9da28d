import { DEFAULT_DECODE_LIMITS } from './decodeLimits.js';

/** One input field that broke one rule, e.g. `{path: "$.persons[0].firstname", rule: "is required"}`. */
export interface FieldError {
  readonly path: string;
  readonly rule: string;
}

/** Why an input was refused: a one-line reason plus the failing fields, at most a bounded number of them. */
export interface Rejection {
  readonly reason: string;
  readonly details: readonly FieldError[];
  /** How many more failing fields were found than `details` lists; absent when it lists them all. */
  readonly omitted?: number;
}

/** The first `max` details, and how many were left out (absent when none). */
export const capDetails = (
  details: readonly FieldError[],
  max: number = DEFAULT_DECODE_LIMITS.maxErrorDetails,
): Pick<Rejection, 'details' | 'omitted'> =>
  details.length <= max ? { details } : { details: details.slice(0, max), omitted: details.length - max };

export const rejection = (reason: string, details: readonly FieldError[] = [], maxDetails?: number): Rejection => ({
  reason,
  ...capDetails(details, maxDetails),
});

/**
 * Builds the one-line reason from the field errors so a dead-letter header says what broke; it
 * names the first `maxDetails` of them, like `details`, and counts the rest.
 */
export const invalidInput = (what: string, details: readonly FieldError[], maxDetails?: number): Rejection => {
  const capped = capDetails(details, maxDetails);
  const listed = capped.details.map((d) => `${d.path} ${d.rule}`).join('; ');
  return { reason: `${what}: ${listed}${capped.omitted ? `; and ${capped.omitted} more` : ''}`, ...capped };
};
