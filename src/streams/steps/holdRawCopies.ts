import { idsFor } from '../../domain/deterministicId.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { PersonalDataStore, RawCopyHold } from '../ports.js';
import type { CaseWork } from './caseWork.js';
import { rawCopyId } from './recordRawEvent.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { CASE_ID } from '../tracing/semconv.js';

/**
 * What a legal-hold command asks of the case's raw copies, once the case says so: held after a
 * PlaceLegalHold (a repeated one too), released after a LiftLegalHold; null otherwise, and for a
 * case with no raw copy (only the message that created a case is kept raw).
 */
export const rawCopyHoldOf = (w: CaseWork): RawCopyHold | null => {
  const type = w.command?.command_type;
  const state = w.state;
  if ((type !== 'PlaceLegalHold' && type !== 'LiftLegalHold') || w.rejection !== null || !state?.creation) return null;
  const held = state.legal_hold !== null;
  if (held !== (type === 'PlaceLegalHold')) return null;
  return { case_id: state.case_id, raw_ids: [rawCopyId(idsFor(state.creation.key))], held };
};

/**
 * Makes the raw copies of a case under legal hold outlast RETENTION_RAW_EVENTS, and lets them
 * expire again when the hold is lifted, before the command's result says it is done. A repeated
 * command does it again: it finishes one that a crash interrupted.
 */
export const holdRawCopies =
  (store: Pick<PersonalDataStore, 'holdRawCopies'>): Step<CaseWork> =>
  (w) => {
    const hold = rawCopyHoldOf(w);
    if (hold === null) return w;
    return afterDone(
      inStepSpan(w.trace, hold.held ? 'hold raw copies' : 'release raw copies', () => store.holdRawCopies(hold), {
        attributes: () => ({ [CASE_ID]: hold.case_id }),
      }),
      w,
    );
  };
