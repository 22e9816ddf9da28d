import type { EntityType } from './caseCommand.js';
import type { TraitementType } from './clientMessage.js';

/**
 * The built-in document rules: which documents an entity of a case must provide, all required,
 * in this order.
 */
export const requiredDocuments = (entity: EntityType, kind: TraitementType, caseType: string): readonly string[] => {
  if (entity === 'PERSON') return kind === 'KYC' ? ['PASSPORT', 'PROOF_OF_ADDRESS'] : ['PASSPORT_DIRECTOR_BO'];
  if (kind !== 'KYB') return [];
  return caseType === 'ENHANCED_DUE_DILIGENCE'
    ? ['COMPANY_REGISTRATION_CERTIFICATE', 'ARTICLES_OF_ASSOCIATION', 'FINANCIAL_STATEMENTS_AUDITED']
    : ['COMPANY_REGISTRATION_CERTIFICATE', 'ARTICLES_OF_ASSOCIATION'];
};
