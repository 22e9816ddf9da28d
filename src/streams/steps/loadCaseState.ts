import { concatMap, map, of, type OperatorFunction } from 'rxjs';
import { emptyCase, evolveCase } from '../../domain/caseState.js';
import type { EventStore } from '../ports.js';
import type { CaseWork } from './caseWork.js';

/** Fills in the case state from the event store when the actor does not know it yet. */
export const loadCaseState = (store: Pick<EventStore, 'load'>): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    if (w.state !== null || w.command === null) return of(w);
    const case_id = w.command.case_id;
    return store.load(case_id).pipe(map((events) => ({ ...w, state: evolveCase(emptyCase(case_id), events) })));
  });
