import { concatMap, of, type OperatorFunction } from 'rxjs';
import { projectEvents } from '../../domain/projections.js';
import type { ReadModelStore } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { CaseWork } from './caseWork.js';

/**
 * Brings the read models up to date with the message's events. All of them are projected, even
 * those that were already stored: a crash between append and projection is healed by the
 * redelivery, and the writes are idempotent. Events stored just now (no duplicate) were never
 * projected, which the store is told.
 */
export const projectReadModels = (readModels: ReadModelStore): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    const writes = projectEvents(w.events);
    return writes.length === 0 ? of(w) : afterDone(readModels.apply(writes, { firstTime: w.duplicates === 0 }), w);
  });
