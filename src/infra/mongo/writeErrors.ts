import { BSON, MongoBulkWriteError, MongoInvalidArgumentError } from 'mongodb';
import { UnstorableInput } from '../../streams/ports.js';

/** MongoDB's (and FerretDB's) duplicate-key error code; 11001 is its pre-2.6 spelling, still seen in old proxies. */
export const isDuplicateKeyCode = (code: unknown): boolean => code === 11000 || code === 11001;

/** What the adapters read of one failed operation of a bulk command (the driver's WriteError fits). */
export interface ItemWriteError {
  /** The operation's position in the bulk command. */
  readonly index: number;
  readonly code: number;
  readonly errmsg?: string | undefined;
}

/** BSONObjectTooLarge: the code given to a document the driver refuses to send for its size. */
const DOCUMENT_TOO_LARGE = 10334;
/** BadValue: the code given to a document the driver cannot serialise. */
const BAD_VALUE = 2;

/**
 * Why the driver refused a write before sending anything, as a write error of the item at `index`,
 * or undefined when the error is not such a refusal. An insert of a document over 16 MiB throws
 * `MongoInvalidArgumentError: Document is larger than the maximum size`; an update that large
 * throws `RangeError` (ERR_OUT_OF_RANGE) from BSON serialisation; invalid BSON throws `BSONError`.
 */
export const clientSideRefusal = (error: unknown, index = 0): ItemWriteError | undefined => {
  if (error instanceof MongoInvalidArgumentError && /larger than the maximum size/i.test(error.message)) {
    return { index, code: DOCUMENT_TOO_LARGE, errmsg: error.message };
  }
  if (error instanceof RangeError)
    return { index, code: DOCUMENT_TOO_LARGE, errmsg: `the document is too large to serialise (${error.message})` };
  if (BSON.BSONError.isBSONError(error)) return { index, code: BAD_VALUE, errmsg: `the document is not valid BSON (${error.message})` };
  return undefined;
};

/** The per-item errors of a bulk command that the driver refused as a whole, found by writing each item alone. */
export class IsolatedWriteErrors extends Error {
  override readonly name = 'IsolatedWriteErrors';
  constructor(readonly writeErrors: readonly ItemWriteError[]) {
    super(`${writeErrors.length} operation(s) of a bulk write failed`);
  }
}

/**
 * The per-operation errors of a bulk command, or undefined when the failure was not per-operation
 * (network error, command error, write-concern error): then nothing can be said about which
 * operations were applied and every caller of the batch must fail.
 */
export const perOperationErrors = (error: unknown): readonly ItemWriteError[] | undefined => {
  if (error instanceof IsolatedWriteErrors) return error.writeErrors;
  if (!(error instanceof MongoBulkWriteError) || error.err !== undefined) return undefined;
  const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return errors.length > 0 ? errors : undefined;
};

/** The errors of one item written alone, renumbered to its place in the whole batch; undefined when not per-item. */
const errorsOfItem = (error: unknown, index: number): readonly ItemWriteError[] | undefined => {
  const refusal = clientSideRefusal(error, index);
  if (refusal) return [refusal];
  return perOperationErrors(error)?.map((w) => ({ index, code: w.code, errmsg: w.errmsg }));
};

/**
 * Runs one bulk command over `items`. When the driver refuses the whole command before sending it
 * (one document it cannot serialise: nothing was written), the items are written one by one instead
 * (at the same time when unordered; in order, stopping at the first failure, when ordered), so that
 * only the unstorable items fail and their batch-mates are stored. Failures are thrown as a bulk
 * error that `perOperationErrors` reads like the driver's own. The common path costs nothing more.
 */
export const writeIsolatingRefusals = async <T>(
  items: readonly T[],
  write: (items: T[]) => Promise<unknown>,
  ordered: boolean,
): Promise<void> => {
  try {
    await write([...items]);
    return;
  } catch (error) {
    if (clientSideRefusal(error) === undefined) throw error;
    if (items.length === 1) throw new IsolatedWriteErrors([clientSideRefusal(error)!]);
  }
  const alone = async (item: T, index: number): Promise<readonly ItemWriteError[]> => {
    try {
      await write([item]);
      return [];
    } catch (error) {
      const errors = errorsOfItem(error, index);
      if (errors === undefined) throw error;
      return errors;
    }
  };
  const failures: ItemWriteError[] = [];
  if (ordered) {
    for (const [index, item] of items.entries()) {
      failures.push(...(await alone(item, index)));
      if (failures.length > 0) break;
    }
  } else {
    for (const errors of await Promise.all(items.map(alone))) for (const e of errors) failures.push(e);
  }
  if (failures.length > 0) throw new IsolatedWriteErrors(failures);
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
 * failed to parse, type mismatch, $-prefixed or dotted field names, document too large (10334
 * BSONObjectTooLarge; 17419 an update's result over 16 MiB; 17420 an upsert's document over
 * 16 MiB), key too large to index (17280).
 */
const UNSTORABLE_CODES = new Set([2, 9, 14, 52, 57, 10334, 17280, 17419, 17420]);

export const itemError = (e: ItemWriteError, what: string): Error =>
  UNSTORABLE_CODES.has(e.code)
    ? new UnstorableInput(`${what}: ${e.errmsg ?? 'refused'} (code ${e.code})`)
    : new BatchItemWriteError(e.code, e.errmsg ?? 'write failed', what);
