import { expect } from 'chai';
import { selectRule } from '../../../src/domain/notificationRule.js';
import { leftOf, rightOf } from './fixtures.js';

const rule = (patch: Record<string, unknown> = {}) => ({
  rule_id: 'r-1',
  is_active: true,
  notification_type: 'EMAIL_WELCOME',
  template_id: 'tpl-welcome',
  language_code: 'en',
  ...patch,
});

describe('selectRule', () => {
  it('picks the first rule of an array, in priority order', () => {
    const sel = rightOf(selectRule([rule({ rule_id: 'first' }), rule({ rule_id: 'second' })]));
    expect(sel.rule).to.deep.equal(rule({ rule_id: 'first' }));
    expect(sel.skipped).to.deep.equal([]);
  });

  it('accepts a single rule object as the answer', () => {
    expect(rightOf(selectRule(rule())).rule).to.deep.equal(rule());
  });

  it('treats a rule without is_active as active', () => {
    const { is_active: _ignored, ...noFlag } = rule();
    expect(rightOf(selectRule([noFlag])).rule).to.deep.equal({ ...noFlag, is_active: true });
  });

  it('treats a rule with is_active null as active', () => {
    expect(rightOf(selectRule([rule({ is_active: null })])).rule!.is_active).to.equal(true);
  });

  it('skips inactive rules without reporting them as malformed', () => {
    const sel = rightOf(selectRule([rule({ rule_id: 'off', is_active: false }), rule({ rule_id: 'on' })]));
    expect(sel.rule!.rule_id).to.equal('on');
    expect(sel.skipped).to.deep.equal([]);
  });

  it('selects no rule when every rule is inactive', () => {
    expect(rightOf(selectRule([rule({ is_active: false })]))).to.deep.equal({ rule: null, skipped: [] });
    expect(rightOf(selectRule(rule({ is_active: false })))).to.deep.equal({ rule: null, skipped: [] });
  });

  it('selects no rule from an empty array', () => {
    expect(rightOf(selectRule([]))).to.deep.equal({ rule: null, skipped: [] });
  });

  it('skips a malformed entry, reporting its index and every failing field, and takes the next valid one', () => {
    const sel = rightOf(selectRule([{ is_active: 'yes', template_id: 3 }, rule({ rule_id: 'good' })]));
    expect(sel.rule!.rule_id).to.equal('good');
    expect(sel.skipped).to.have.length(1);
    expect(sel.skipped[0]!.index).to.equal(0);
    expect(sel.skipped[0]!.errors).to.have.deep.members([
      { path: '$.rule_id', rule: 'is required' },
      { path: '$.is_active', rule: 'must be a boolean' },
      { path: '$.notification_type', rule: 'is required' },
      { path: '$.template_id', rule: 'must be a string' },
    ]);
  });

  it('reports skipped malformed entries by their position in the answer', () => {
    const sel = rightOf(selectRule([rule({ is_active: false }), 'junk', null, rule({ rule_id: '' }), rule({ rule_id: 'ok' })]));
    expect(sel.rule!.rule_id).to.equal('ok');
    expect(sel.skipped.map((s) => s.index)).to.deep.equal([1, 2, 3]);
    expect(sel.skipped[0]!.errors).to.deep.equal([{ path: '$', rule: 'must be an object' }]);
    expect(sel.skipped[2]!.errors).to.deep.equal([{ path: '$.rule_id', rule: 'must be a non-empty string' }]);
  });

  it('does not look past the winning rule, so later malformed entries are not reported', () => {
    const sel = rightOf(selectRule([rule(), { broken: true }]));
    expect(sel.skipped).to.deep.equal([]);
  });

  it('selects no rule but reports the entries when every entry is malformed', () => {
    const sel = rightOf(selectRule([{}, 42]));
    expect(sel.rule).to.equal(null);
    expect(sel.skipped.map((s) => s.index)).to.deep.equal([0, 1]);
  });

  it('reports a malformed single rule object as skipped at index 0', () => {
    const sel = rightOf(selectRule({ rule_id: 'r' }));
    expect(sel.rule).to.equal(null);
    expect(sel.skipped[0]!.index).to.equal(0);
    expect(sel.skipped[0]!.errors).to.deep.equal([{ path: '$.notification_type', rule: 'is required' }]);
  });

  it('accepts null template and language and decodes absent ones as null', () => {
    const { template_id: _t, language_code: _l, ...bare } = rule();
    expect(rightOf(selectRule([bare])).rule).to.deep.include({ template_id: null, language_code: null });
    expect(rightOf(selectRule([rule({ template_id: null, language_code: null })])).rule).to.deep.include({
      template_id: null,
      language_code: null,
    });
  });

  it('rejects a rule with an empty notification type', () => {
    const sel = rightOf(selectRule([rule({ notification_type: '  ' })]));
    expect(sel.rule).to.equal(null);
    expect(sel.skipped[0]!.errors).to.deep.equal([{ path: '$.notification_type', rule: 'must be a non-empty string' }]);
  });

  it('keeps the version of a rule the service gives one, string or number', () => {
    expect(rightOf(selectRule([rule({ version: 3 })])).rule).to.deep.equal(rule({ version: 3 }));
    expect(rightOf(selectRule([rule({ version: '2024-06' })])).rule).to.deep.equal(rule({ version: '2024-06' }));
  });

  it('leaves out an absent, null or unusable version and still applies the rule', () => {
    for (const version of [undefined, null, '', '  ', {}, [1], Number.NaN, true]) {
      const sel = rightOf(selectRule([rule({ version })]));
      expect(sel.rule, JSON.stringify(version)).to.deep.equal(rule());
      expect(sel.skipped).to.deep.equal([]);
    }
  });

  it('drops unknown fields of the chosen rule', () => {
    expect(rightOf(selectRule([rule({ priority: 1 })])).rule).to.not.have.property('priority');
  });

  for (const [label, answer] of [
    ['a string', 'EMAIL_WELCOME'],
    ['a number', 1],
    ['a boolean', true],
    ['null', null],
    ['undefined', undefined],
  ] as const) {
    it(`is Left when the answer is ${label}, neither an array nor an object`, () => {
      expect(leftOf(selectRule(answer))).to.match(/neither a JSON array nor a JSON object/);
    });
  }
});
