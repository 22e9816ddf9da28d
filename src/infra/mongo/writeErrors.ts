import { MongoBulkWriteError, type WriteError } from 'mongodb';
import { UnstorableInput } from '../../streams/ports.js';

/** MongoDB's (and FerretDB's) duplicate-key error code; 11001 is its pre-2.6 spelling, still seen in old proxies. */
export const isDuplicateKeyCode = (code: unknown): boolean => code === 11000 || code === 11001;

/**
 * The per-operation errors of a bulk command, or undefined when the failure was not per-operation
 * (network error, command error, write-concern error): then nothing can be said about which
 * operations were applied and every caller of the batch must fail.
 */
export const perOperationErrors = (error: unknown): WriteError[] | undefined => {
  if (!(error instanceof MongoBulkWriteError) || error.err !== undefined) return undefined;
  const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return errors.length > 0 ? errors : undefined;
};

/** An error for one caller whose operation failed inside a bulk command. */
export class BatchItemWriteError extends Error {
  override readonly name = 'BatchItemWriteError';
  constructor(
    readonly code: number,
    readonly errmsg: string,
    what: string,
  ) {
    super(`${what}: ${errmsg} (code ${code})`);
  }
}

/**
 * Write errors about the data itself, which no retry can fix: bad value (FerretDB: nested arrays),
 * failed to parse, type mismatch, $-prefixed or dotted field names, document or key too large.
 */
const UNSTORABLE_CODES = new Set([2, 9, 14, 52, 57, 10334, 17280]);

export const itemError = (e: WriteError, what: string): Error =>
  UNSTORABLE_CODES.has(e.code)
    ? new UnstorableInput(`${what}: ${e.errmsg ?? 'refused'} (code ${e.code})`)
    : new BatchItemWriteError(e.code, e.errmsg ?? 'write failed', what);
