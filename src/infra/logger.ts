import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Personal data and secrets that must never reach a log line, wherever they sit in a logged
 * object. Code logs ids, positions and reasons only; this is the net under that rule.
 */
const REDACTED_PATHS = [
  'firstname',
  'lastname',
  'birthdate',
  'primary_contact_name',
  'client_name',
  'password',
  'token',
  'authorization',
  'payload',
  'value',
  '*.firstname',
  '*.lastname',
  '*.birthdate',
  '*.primary_contact_name',
  '*.client_name',
  '*.password',
  '*.token',
  '*.authorization',
  '*.payload',
  '*.value',
];

/** The service's JSON logger (pino), with personal data and secrets censored. */
export const createLogger = (level: string, destination?: NodeJS.WritableStream): Logger =>
  pino(
    {
      level,
      base: { service: 'casestream' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? process.stdout,
  );

/** Removes credentials from a connection URL before it is logged. */
export const safeUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = '***';
    return u.toString();
  } catch {
    return '[unparsable url]';
  }
};
