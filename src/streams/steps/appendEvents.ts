import type { Span } from '@opentelemetry/api';
import { emptyCase, evolveCase } from '../../domain/caseState.js';
import { keyReused } from '../../domain/keyReuse.js';
import { andThen, type Step } from '../../operators/steps.js';
import { VersionConflict, type AppendResult, type EventStore } from '../ports.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import * as attr from '../tracing/semconv.js';

/** What an append's span tells of its result (a conflict is the expected way to learn of a stale view: no error). */
const describeResult = (span: Span, result: AppendResult): void => {
  span.setAttribute(attr.APPEND_RESULT, result.kind);
  if (result.kind === 'appended') span.setAttribute(attr.APPEND_DUPLICATES, result.duplicates);
  if (result.kind === 'conflict') {
    span.setAttributes({ [attr.CONFLICT_AGGREGATE]: result.aggregate_id, [attr.CONFLICT_VERSION]: result.version });
    span.addEvent('version conflict', { [attr.CONFLICT_AGGREGATE]: result.aggregate_id, [attr.CONFLICT_VERSION]: result.version });
  }
};

/**
 * Appends the decided events with the case state they make (which the store may keep as the case's
 * snapshot) and hands that state on. A version conflict is thrown as VersionConflict so that the
 * caller can reload the case and decide again. Events already stored under the message's key for
 * other content make the message a rejection, with no events.
 */
export const appendEvents =
  (store: Pick<EventStore, 'append'>): Step<CaseWork> =>
  (w) => {
    if (w.events.length === 0) return w;
    const after = evolveCase(w.state ?? emptyCase(w.command?.case_id ?? ''), w.events);
    const appended = inStepSpan(w.trace, 'append', () => store.append(w.events, after), {
      attributes: () => ({ [attr.EVENT_COUNT]: w.events.length, [attr.CASE_VERSION]: after.version }),
      onValue: describeResult,
    });
    return andThen(appended, (result): CaseWork => {
      if (result.kind === 'conflict') throw new VersionConflict(result.aggregate_id, result.version);
      if (result.kind === 'key-reused') return { ...w, rejection: keyReused(), events: [] };
      return { ...w, state: after, duplicates: result.duplicates };
    });
  };
