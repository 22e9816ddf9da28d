import { concatMap, of, type OperatorFunction } from 'rxjs';
import type { DeadLetterSink } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { CaseWork } from './caseWork.js';

/** Sends a rejected message to the dead-letter topic with its reasons; accepted ones pass. */
export const deadLetter = (sink: DeadLetterSink): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => (w.rejection === null ? of(w) : afterDone(sink.send(w.record, w.rejection), w)));
