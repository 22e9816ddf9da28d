import type { Db } from 'mongodb';
import type { RawCopyHold } from '../../streams/ports.js';
import { rawEventsCollection } from './rawEventLog.js';

/**
 * Holds a case's raw copies, or releases them: RETENTION_RAW_EVENTS counts from `processed_at`
 * (the TTL index on MongoDB, the sweep on FerretDB), and a copy without that field never expires.
 * So a hold renames it to `held_processed_at` and a release renames it back, each copy by `_id`;
 * renaming a field that is not there changes nothing, so either runs again safely.
 */
export const holdRawCopies = async (db: Db, hold: RawCopyHold): Promise<void> => {
  const raw = rawEventsCollection(db);
  const rename: Record<string, string> = hold.held ? { processed_at: 'held_processed_at' } : { held_processed_at: 'processed_at' };
  for (const _id of hold.raw_ids) await raw.updateOne({ _id }, { $rename: rename });
};
