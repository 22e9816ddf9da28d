import { MongoBulkWriteError, type WriteError } from 'mongodb';

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

export const itemError = (e: WriteError, what: string): BatchItemWriteError =>
  new BatchItemWriteError(e.code, e.errmsg ?? 'write failed', what);
