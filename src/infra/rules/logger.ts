/**
 * The logging the rule lookup needs: a subset of pino's `Logger`, so a pino logger (or a child of one)
 * can be passed as is. Messages carry the trigger and the case id only, never other context values.
 */
export interface RuleLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const ignore = (): void => undefined;

/** Logs nothing: the default when no logger is given. */
export const noopRuleLogger: RuleLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** The only context value that may be logged: the case id, when it is a string. */
export const caseIdOf = (context: Readonly<Record<string, unknown>>): string | undefined =>
  typeof context['case_id'] === 'string' ? context['case_id'] : undefined;
