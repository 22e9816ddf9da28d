/** One input field that broke one rule, e.g. `{path: "$.persons[0].firstname", rule: "is required"}`. */
export interface FieldError {
  readonly path: string;
  readonly rule: string;
}

/** Why an input was refused: a one-line reason plus every failing field. */
export interface Rejection {
  readonly reason: string;
  readonly details: readonly FieldError[];
}

export const rejection = (reason: string, details: readonly FieldError[] = []): Rejection => ({ reason, details });

/** Builds the one-line reason from the field errors so a dead-letter header says what broke. */
export const invalidInput = (what: string, details: readonly FieldError[]): Rejection =>
  rejection(`${what}: ${details.map((d) => `${d.path} ${d.rule}`).join('; ')}`, details);
