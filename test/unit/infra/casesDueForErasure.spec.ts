import { expect } from 'chai';
import { ERASED } from '../../../src/domain/personalData.js';
import { personalDataLeft, splitForErasure, type CaseDueForErasure } from '../../../src/infra/mongo/casesDueForErasure.js';

const MASKED = { firstname: ERASED, lastname: ERASED, birthdate: null };
const NAMED = { firstname: 'Ada', lastname: 'Lovelace', birthdate: '1815-12-10' };

const closedCase = (case_id: string, personal_data_left: number, hold: string | null = null): CaseDueForErasure => ({
  case_id,
  client_id: `client-${case_id}`,
  type: 'COMPANY_STANDARD',
  traitement_type: 'KYB',
  closed_at: new Date('2020-01-01T00:00:00.000Z'),
  closure_reason: 'business relationship ended',
  legal_hold: hold === null ? null : { since: new Date('2024-01-01T00:00:00.000Z'), reason: hold },
  personal_data_left,
});

describe('the cases due for erasure, split by what is left to erase', () => {
  it('counts, per case, the persons and beneficial owners whose documents still hold personal data, and leaves out a case whose subjects are all masked', () => {
    const left = personalDataLeft({
      persons: [
        { case_id: 'c-1', ...NAMED },
        { case_id: 'c-1', ...MASKED },
        { case_id: 'c-2', ...MASKED },
        { case_id: 'c-3', ...MASKED, birthdate: '1815-12-10' },
      ],
      beneficial_owners: [
        { case_id: 'c-1', ...NAMED },
        { case_id: 'c-2', ...MASKED },
      ],
    });
    expect(Object.fromEntries(left)).to.deep.equal({ 'c-1': 2, 'c-3': 1 });
  });

  it('counts nothing when the cases have no subjects at all', () => {
    expect(personalDataLeft({}).size).to.equal(0);
    expect(personalDataLeft({ persons: [], beneficial_owners: [] }).size).to.equal(0);
  });

  it('reports as due only the cases without a hold that still hold personal data, keeping their order', () => {
    const page = [closedCase('due-2', 2), closedCase('erased', 0), closedCase('held', 1, 'AML investigation'), closedCase('due-1', 1)];
    const { cases, held, erased } = splitForErasure(page);
    expect(cases.map((c) => [c.case_id, c.personal_data_left])).to.deep.equal([
      ['due-2', 2],
      ['due-1', 1],
    ]);
    expect(held.map((c) => c.case_id)).to.deep.equal(['held']);
    expect(erased.map((c) => c.case_id)).to.deep.equal(['erased']);
  });

  it('keeps a held case among the held ones even when nothing of it is left to erase', () => {
    const { cases, held, erased } = splitForErasure([closedCase('held-erased', 0, 'court order')]);
    expect(held.map((c) => [c.case_id, c.personal_data_left])).to.deep.equal([['held-erased', 0]]);
    expect(cases).to.deep.equal([]);
    expect(erased).to.deep.equal([]);
  });
});
