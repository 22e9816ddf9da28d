import { expect } from 'chai';
import { requiredDocuments } from '../../../src/domain/documentRules.js';

describe('requiredDocuments', () => {
  it('asks a KYC person for a passport and a proof of address', () => {
    expect(requiredDocuments('PERSON', 'KYC', 'STANDARD_DUE_DILIGENCE')).to.deep.equal(['PASSPORT', 'PROOF_OF_ADDRESS']);
  });

  it('asks a KYB person for a director/beneficial-owner passport only', () => {
    expect(requiredDocuments('PERSON', 'KYB', 'STANDARD_DUE_DILIGENCE')).to.deep.equal(['PASSPORT_DIRECTOR_BO']);
  });

  it('asks a person for the same documents whatever the case type', () => {
    expect(requiredDocuments('PERSON', 'KYC', 'ENHANCED_DUE_DILIGENCE')).to.deep.equal(['PASSPORT', 'PROOF_OF_ADDRESS']);
    expect(requiredDocuments('PERSON', 'KYB', 'ENHANCED_DUE_DILIGENCE')).to.deep.equal(['PASSPORT_DIRECTOR_BO']);
  });

  it('asks a KYB company for its registration certificate and articles of association', () => {
    expect(requiredDocuments('COMPANY', 'KYB', 'kyb-standard')).to.deep.equal([
      'COMPANY_REGISTRATION_CERTIFICATE',
      'ARTICLES_OF_ASSOCIATION',
    ]);
  });

  it('also asks a KYB company for audited financial statements under enhanced due diligence', () => {
    expect(requiredDocuments('COMPANY', 'KYB', 'ENHANCED_DUE_DILIGENCE')).to.deep.equal([
      'COMPANY_REGISTRATION_CERTIFICATE',
      'ARTICLES_OF_ASSOCIATION',
      'FINANCIAL_STATEMENTS_AUDITED',
    ]);
  });

  it('asks nothing of a company in a KYC case', () => {
    expect(requiredDocuments('COMPANY', 'KYC', 'ENHANCED_DUE_DILIGENCE')).to.deep.equal([]);
  });
});
