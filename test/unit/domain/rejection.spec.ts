import { expect } from 'chai';
import { invalidInput, rejection } from '../../../src/domain/rejection.js';

describe('rejection', () => {
  it('carries the reason and no field errors when none are given', () => {
    expect(rejection('unknown case c-1')).to.deep.equal({ reason: 'unknown case c-1', details: [] });
  });

  it('carries the given field errors as details', () => {
    const details = [{ path: '$.case_id', rule: 'must name an existing case' }];
    expect(rejection('unknown case c-1', details)).to.deep.equal({ reason: 'unknown case c-1', details });
  });
});

describe('invalidInput', () => {
  it('builds a one-line reason naming every failing path and its rule, in order', () => {
    const details = [
      { path: '$.client_id', rule: 'is required' },
      { path: '$.persons[0].firstname', rule: 'must be a string' },
    ];
    const r = invalidInput('invalid client data message', details);
    expect(r.reason).to.equal('invalid client data message: $.client_id is required; $.persons[0].firstname must be a string');
    expect(r.details).to.deep.equal(details);
    expect(r.reason).to.not.include('\n');
  });

  it('names the single failing field when there is one', () => {
    expect(invalidInput('invalid command', [{ path: '$.new_status', rule: 'must be one of A, B' }]).reason).to.equal(
      'invalid command: $.new_status must be one of A, B',
    );
  });
});
