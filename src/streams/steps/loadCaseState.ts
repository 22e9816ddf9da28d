import { concatMap, map, of, type OperatorFunction } from 'rxjs';
import type { EventStore } from '../ports.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { CASE_ID, CASE_VERSION } from '../tracing/semconv.js';

/** Fills in the case state from the event store when the actor does not know it yet. */
export const loadCaseState = (store: Pick<EventStore, 'load'>): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    if (w.state !== null || w.command === null) return of(w);
    const case_id = w.command.case_id;
    return inStepSpan(w.trace, 'load case', () => store.load(case_id), {
      attributes: () => ({ [CASE_ID]: case_id }),
      onValue: (span, state) => span.setAttributes({ [CASE_VERSION]: state.version }),
    }).pipe(map((state) => ({ ...w, state, loaded: true })));
  });
