import type { Attributes } from '@opentelemetry/api';
import type { Db } from 'mongodb';
import {
  BATCH_FAILED,
  DB_COLLECTION_NAME,
  DB_NAMESPACE,
  DB_OPERATION_BATCH_SIZE,
  DB_OPERATION_NAME,
  DB_SYSTEM_NAME,
} from '../../streams/tracing/semconv.js';
import type { BatchSpanOptions } from '../telemetry/batchSpan.js';

/**
 * The span of one batched MongoDB round trip (`<operation> <collection>`, database conventions):
 * `size` counts the documents or operations it carries, by default one per caller.
 */
export const mongoBatchSpan = <I, O>(
  db: Db,
  collection: string,
  operation: string,
  more: { readonly size?: (items: readonly I[]) => number; readonly results?: (results: readonly O[]) => Attributes } = {},
): BatchSpanOptions<I, O> => ({
  name: `${operation} ${collection}`,
  attributes: (items) => ({
    [DB_SYSTEM_NAME]: 'mongodb',
    [DB_NAMESPACE]: db.databaseName,
    [DB_COLLECTION_NAME]: collection,
    [DB_OPERATION_NAME]: operation,
    [DB_OPERATION_BATCH_SIZE]: more.size?.(items) ?? items.length,
  }),
  ...(more.results === undefined ? {} : { results: more.results }),
});

/** For batches whose results are each caller's own error: how many callers' parts failed. */
export const failedParts = (results: readonly (Error | undefined)[]): Attributes => ({
  [BATCH_FAILED]: results.reduce((n, r) => (r === undefined ? n : n + 1), 0),
});
