import { forkJoin } from 'rxjs';
import type { DomainEvent } from '../../domain/events.js';
import { projectEvents } from '../../domain/projections.js';
import { afterDone } from '../../operators/afterDone.js';
import { andThen, type Step } from '../../operators/steps.js';
import type { EventStore, ReadModelStore } from '../ports.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { CASE_ID, EVENT_COUNT, WRITE_COUNT } from '../tracing/semconv.js';

/**
 * Re-projects the events a redelivered message recorded, as stored (see recordedRanges): a crash
 * between their append and their projection is healed by the redelivery, which decides nothing
 * again. The stored copies, not a decision made again: they carry what an erasure has masked since.
 * The writes are idempotent and version-guarded, and may have been applied already (not
 * `firstTime`). Only a redelivery reads; a failure fails the message, which is retried like any other.
 */
export const reprojectRecorded =
  (store: Pick<EventStore, 'eventsAt'>, readModels: ReadModelStore): Step<CaseWork> =>
  (w) => {
    if (w.reproject.length === 0 || w.rejection !== null) return w;
    const ranges = w.reproject;
    const read = inStepSpan(
      w.trace,
      'read recorded events',
      () => forkJoin(ranges.map((r) => store.eventsAt(r.aggregate_id, r.first, r.last ?? undefined))),
      {
        attributes: () => ({ [CASE_ID]: ranges[0]!.aggregate_id }),
        onValue: (span, streams) =>
          span.setAttribute(
            EVENT_COUNT,
            streams.reduce((n, events) => n + events.length, 0),
          ),
      },
    );
    return andThen(read, (streams: DomainEvent[][]) => {
      const events = streams.flat();
      const writes = projectEvents(events);
      if (writes.length === 0) return w;
      const applied = inStepSpan(w.trace, 'project recorded events', () => readModels.apply(writes, { firstTime: false }), {
        attributes: () => ({ [EVENT_COUNT]: events.length, [WRITE_COUNT]: writes.length }),
      });
      return afterDone(applied, w);
    });
  };
