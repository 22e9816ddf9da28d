import type { DeadLetterSink } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { REJECTION_REASON } from '../tracing/semconv.js';

/** Sends a rejected message to the dead-letter topic with its reasons; accepted ones pass. */
export const deadLetter =
  (sink: DeadLetterSink): Step<CaseWork> =>
  (w) => {
    const why = w.rejection;
    if (why === null) return w;
    return afterDone(
      inStepSpan(w.trace, 'dead letter', () => sink.send(w.record, why), { attributes: () => ({ [REJECTION_REASON]: why.reason }) }),
      w,
    );
  };
