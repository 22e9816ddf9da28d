import { concatMap, map, of, type OperatorFunction } from 'rxjs';
import { emptyCase, evolveCase } from '../../domain/caseState.js';
import { keyReused } from '../../domain/keyReuse.js';
import { VersionConflict, type EventStore } from '../ports.js';
import type { CaseWork } from './caseWork.js';

/**
 * Appends the decided events and folds them into the case state. A version conflict is thrown
 * as VersionConflict so that the caller can reload the case and decide again. Events already
 * stored under the message's key for other content make the message a rejection, with no events.
 */
export const appendEvents = (store: Pick<EventStore, 'append'>): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    if (w.events.length === 0) return of(w);
    return store.append(w.events).pipe(
      map((result) => {
        if (result.kind === 'conflict') throw new VersionConflict(result.aggregate_id, result.version);
        if (result.kind === 'key-reused') return { ...w, rejection: keyReused(), events: [] };
        const state = w.state ?? emptyCase(w.command?.case_id ?? '');
        return { ...w, state: evolveCase(state, w.events), duplicates: result.duplicates };
      }),
    );
  });
