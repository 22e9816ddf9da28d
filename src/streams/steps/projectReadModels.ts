import { projectEvents } from '../../domain/projections.js';
import type { ReadModelStore } from '../ports.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { EVENT_COUNT, WRITE_COUNT } from '../tracing/semconv.js';

/**
 * Brings the read models up to date with the events the message decided. Events stored just now (no
 * duplicate) were never projected, which the store is told; the writes are idempotent. What a
 * redelivery recorded the first time is re-projected as stored by reprojectRecorded, which heals a
 * crash between append and projection.
 */
export const projectReadModels =
  (readModels: ReadModelStore): Step<CaseWork> =>
  (w) => {
    const writes = projectEvents(w.events);
    if (writes.length === 0) return w;
    const applied = inStepSpan(w.trace, 'project', () => readModels.apply(writes, { firstTime: w.duplicates === 0 }), {
      attributes: () => ({ [EVENT_COUNT]: w.events.length, [WRITE_COUNT]: writes.length }),
    });
    return afterDone(applied, w);
  };
