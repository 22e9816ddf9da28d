import type { Span } from '@opentelemetry/api';
import { concatMap, map, of, type OperatorFunction } from 'rxjs';
import { emptyCase, evolveCase } from '../../domain/caseState.js';
import { keyReused } from '../../domain/keyReuse.js';
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

/** The case's version once the work's events are stored. */
const versionAfter = (w: CaseWork): number =>
  w.events.reduce((v, e) => (e.aggregate_id === w.command?.case_id ? Math.max(v, e.version) : v), w.state?.version ?? 0);

/**
 * Appends the decided events and folds them into the case state. A version conflict is thrown
 * as VersionConflict so that the caller can reload the case and decide again. Events already
 * stored under the message's key for other content make the message a rejection, with no events.
 */
export const appendEvents = (store: Pick<EventStore, 'append'>): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    if (w.events.length === 0) return of(w);
    return inStepSpan(w.trace, 'append', () => store.append(w.events), {
      attributes: () => ({ [attr.EVENT_COUNT]: w.events.length, [attr.CASE_VERSION]: versionAfter(w) }),
      onValue: describeResult,
    }).pipe(
      map((result) => {
        if (result.kind === 'conflict') throw new VersionConflict(result.aggregate_id, result.version);
        if (result.kind === 'key-reused') return { ...w, rejection: keyReused(), events: [] };
        const state = w.state ?? emptyCase(w.command?.case_id ?? '');
        return { ...w, state: evolveCase(state, w.events), duplicates: result.duplicates };
      }),
    );
  });
