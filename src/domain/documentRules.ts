import type { EntityType } from './caseCommand.js';
import type { TraitementType } from './clientMessage.js';

// Shared lists, not made anew for every entity of every case.
const KYC_PERSON: readonly string[] = ['PASSPORT', 'PROOF_OF_ADDRESS'];
const KYB_PERSON: readonly string[] = ['PASSPORT_DIRECTOR_BO'];
const NONE: readonly string[] = [];
const COMPANY: readonly string[] = ['COMPANY_REGISTRATION_CERTIFICATE', 'ARTICLES_OF_ASSOCIATION'];
const COMPANY_ENHANCED: readonly string[] = [...COMPANY, 'FINANCIAL_STATEMENTS_AUDITED'];

/**
 * The built-in document rules: which documents an entity of a case must provide, all required,
 * in this order.
 */
export const requiredDocuments = (entity: EntityType, kind: TraitementType, caseType: string): readonly string[] => {
  if (entity === 'PERSON') return kind === 'KYC' ? KYC_PERSON : KYB_PERSON;
  if (kind !== 'KYB') return NONE;
  return caseType === 'ENHANCED_DUE_DILIGENCE' ? COMPANY_ENHANCED : COMPANY;
};
