import { andThen, type Step } from '../../operators/steps.js';
import type { PersonalDataStore } from '../ports.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { CASE_ID } from '../tracing/semconv.js';

/**
 * Looks up the beneficial owners of the case's company for an erasure of one: the case stream does
 * not name them, its company's stream does. Other messages, and a case without a company, pass untouched.
 */
export const lookUpBeneficialOwners =
  (store: Pick<PersonalDataStore, 'beneficialOwners'>): Step<CaseWork> =>
  (w) => {
    const company_id = w.state?.facts?.company_id;
    if (w.command?.command_type !== 'EraseSubject' || w.command.subject.kind !== 'beneficial_owner' || !company_id) return w;
    const found = inStepSpan(w.trace, 'beneficial owners', () => store.beneficialOwners(company_id), {
      attributes: () => ({ [CASE_ID]: w.command?.case_id ?? '' }),
    });
    return andThen(found, (beneficialOwners): CaseWork => ({ ...w, beneficialOwners }));
  };
