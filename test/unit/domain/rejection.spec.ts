import { expect } from 'chai';
import { invalidInput, rejection } from '../../../src/domain/rejection.js';

describe('rejection', () => {
  it('carries the reason and no field errors when none are given', () => {
    expect(rejection('unknown case c-1')).to.deep.equal({ reason: 'unknown case c-1', details: [] });
  });

  it('carries at most maxDetails field errors and counts the others', () => {
    const details = [1, 2, 3].map((i) => ({ path: `$[${i}]`, rule: 'is required' }));
    expect(rejection('bad', details, 1)).to.deep.equal({ reason: 'bad', details: details.slice(0, 1), omitted: 2 });
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

  it('lists the first maxDetails failing fields and counts the rest, in the reason too', () => {
    const details = Array.from({ length: 5 }, (_, i) => ({ path: `$.persons[${i}]`, rule: 'must be an object' }));
    const r = invalidInput('invalid client data message', details, 2);
    expect(r.details).to.deep.equal(details.slice(0, 2));
    expect(r.omitted).to.equal(3);
    expect(r.reason).to.equal('invalid client data message: $.persons[0] must be an object; $.persons[1] must be an object; and 3 more');
  });

  it('caps at 20 failing fields unless told otherwise', () => {
    const details = Array.from({ length: 130_000 }, (_, i) => ({ path: `$.persons[${i}]`, rule: 'must be an object' }));
    const r = invalidInput('invalid client data message', details);
    expect(r.details).to.have.length(20);
    expect(r.omitted).to.equal(129_980);
    expect(r.reason.length).to.be.below(1_000);
  });

  it('names the single failing field when there is one', () => {
    expect(invalidInput('invalid command', [{ path: '$.new_status', rule: 'must be one of A, B' }]).reason).to.equal(
      'invalid command: $.new_status must be one of A, B',
    );
  });
});
