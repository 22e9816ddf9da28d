import { idsFor } from '../../domain/deterministicId.js';
import { subjectKey } from '../../domain/personalData.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { Erasure, PersonalDataStore } from '../ports.js';
import type { CaseWork } from './caseWork.js';
import { rawCopyId } from './recordRawEvent.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { CASE_ID } from '../tracing/semconv.js';

/** The erasure an accepted EraseSubject asks for, once its case records the subject as erased; null otherwise. */
export const erasureOf = (w: CaseWork): Erasure | null => {
  const cmd = w.command;
  const state = w.state;
  if (cmd?.command_type !== 'EraseSubject' || w.rejection !== null || !state?.erased.has(subjectKey(cmd.subject))) return null;
  return {
    case_id: state.case_id,
    company_id: state.facts?.company_id ?? null,
    subject: cmd.subject,
    // Only client-data messages are kept raw: of a case's messages, the one that created it.
    raw_ids: state.creation ? [rawCopyId(idsFor(state.creation.key))] : [],
    version: state.version,
  };
};

/**
 * Masks an erased subject's personal data in every store, once PersonalDataErased is recorded.
 * A redelivered or repeated erasure of the same subject (which records nothing new) masks again:
 * masking is idempotent, so it finishes one that a crash interrupted, before the command's result
 * says it is done.
 */
export const erasePersonalData =
  (store: Pick<PersonalDataStore, 'erase'>): Step<CaseWork> =>
  (w) => {
    const erasure = erasureOf(w);
    if (erasure === null) return w;
    return afterDone(
      inStepSpan(w.trace, 'erase personal data', () => store.erase(erasure), { attributes: () => ({ [CASE_ID]: erasure.case_id }) }),
      w,
    );
  };
