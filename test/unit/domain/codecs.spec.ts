import { expect } from 'chai';
import * as t from 'io-ts';
import {
  arrayOf,
  bool,
  decodeWith,
  fieldErrors,
  jsonObject,
  nonEmptyStr,
  nullable,
  numberBetween,
  objectOf,
  oneOf,
  optional,
  pathOf,
  str,
  withMaxLength,
} from '../../../src/domain/codecs.js';
import { leftOf, rightOf } from './fixtures.js';

describe('codecs', () => {
  describe('primitive codecs', () => {
    it('accept values of their kind and name the rule for anything else', () => {
      expect(rightOf(decodeWith(str)('x'))).to.equal('x');
      expect(leftOf(decodeWith(str)(1))).to.deep.equal([{ path: '$', rule: 'must be a string' }]);
      expect(rightOf(decodeWith(bool)(false))).to.equal(false);
      expect(leftOf(decodeWith(bool)('false'))).to.deep.equal([{ path: '$', rule: 'must be a boolean' }]);
    });

    it('reject an empty or blank string where a non-empty one is needed', () => {
      expect(rightOf(decodeWith(nonEmptyStr)('a'))).to.equal('a');
      for (const s of ['', '  ', '\t\n']) {
        expect(leftOf(decodeWith(nonEmptyStr)(s))).to.deep.equal([{ path: '$', rule: 'must be a non-empty string' }]);
      }
    });

    it('accept a plain object as a JSON object but not an array or null', () => {
      expect(rightOf(decodeWith(jsonObject)({ a: 1 }))).to.deep.equal({ a: 1 });
      expect(leftOf(decodeWith(jsonObject)([]))).to.deep.equal([{ path: '$', rule: 'must be an object' }]);
      expect(leftOf(decodeWith(jsonObject)(null))).to.deep.equal([{ path: '$', rule: 'must be an object' }]);
    });
  });

  describe('numberBetween', () => {
    const pct = decodeWith(numberBetween(0, 100));

    it('accepts both bounds and values between them', () => {
      for (const n of [0, 0.0001, 50, 99.999, 100]) expect(rightOf(pct(n))).to.equal(n);
    });

    it('rejects values just outside the bounds, saying the range is inclusive', () => {
      for (const n of [-0.1, -Number.EPSILON, 100.1, 100.0000001]) {
        expect(leftOf(pct(n))).to.deep.equal([{ path: '$', rule: 'must be a number from 0 to 100 inclusive' }]);
      }
    });

    it('rejects NaN, infinities and numeric strings', () => {
      for (const n of [NaN, Infinity, -Infinity, '50']) expect(pct(n)._tag).to.equal('Left');
    });
  });

  describe('oneOf', () => {
    const colour = decodeWith(oneOf(['RED', 'GREEN'] as const));

    it('accepts exactly one of the listed values', () => {
      expect(rightOf(colour('GREEN'))).to.equal('GREEN');
    });

    it('rejects anything else, listing the allowed values', () => {
      for (const v of ['red', 'BLUE', '', 1, null]) {
        expect(leftOf(colour(v))).to.deep.equal([{ path: '$', rule: 'must be one of RED, GREEN' }]);
      }
    });
  });

  describe('optional and nullable', () => {
    it('decode absent and null to the fallback', () => {
      const flag = optional(bool, true);
      expect(rightOf(decodeWith(flag)(undefined))).to.equal(true);
      expect(rightOf(decodeWith(flag)(null))).to.equal(true);
      expect(rightOf(decodeWith(nullable(str))(undefined))).to.equal(null);
    });

    it('still check a present value against the inner codec', () => {
      expect(rightOf(decodeWith(optional(bool, true))(false))).to.equal(false);
      expect(leftOf(decodeWith(nullable(str))(3))).to.deep.equal([{ path: '$', rule: 'must be a string' }]);
    });
  });

  describe('arrayOf', () => {
    it('decodes every element', () => {
      expect(rightOf(decodeWith(arrayOf(str))(['a', 'b']))).to.deep.equal(['a', 'b']);
    });

    it('reports every bad element with its index', () => {
      expect(leftOf(decodeWith(arrayOf(str))(['a', 1, 'c', false]))).to.deep.equal([
        { path: '$[1]', rule: 'must be a string' },
        { path: '$[3]', rule: 'must be a string' },
      ]);
    });

    it('rejects a non-array', () => {
      expect(leftOf(decodeWith(arrayOf(str))({ 0: 'a' }))).to.deep.equal([{ path: '$', rule: 'must be an array' }]);
    });

    it('accepts up to its maximum number of items', () => {
      expect(rightOf(decodeWith(arrayOf(str, 2))(['a', 'b']))).to.deep.equal(['a', 'b']);
    });

    it('refuses a longer array by its length alone, without one error per bad item', () => {
      expect(leftOf(decodeWith(arrayOf(str, 2))([1, 2, 3]))).to.deep.equal([{ path: '$', rule: 'must have at most 2 items' }]);
    });

    it('reports 200,000 bad items without overflowing the call stack', () => {
      const errors = leftOf(decodeWith(objectOf('list', { items: arrayOf(str) }))({ items: Array.from({ length: 200_000 }, () => 0) }));
      expect(errors).to.have.length(200_000);
    });
  });

  describe('withMaxLength', () => {
    const name = decodeWith(withMaxLength(nonEmptyStr, 3));

    it('accepts a string up to the maximum length', () => {
      expect(rightOf(name('abc'))).to.equal('abc');
    });

    it('refuses a longer string, naming the limit, and otherwise keeps the inner rule', () => {
      expect(leftOf(name('abcd'))).to.deep.equal([{ path: '$', rule: 'must be at most 3 characters long' }]);
      expect(leftOf(name(' '))).to.deep.equal([{ path: '$', rule: 'must be a non-empty string' }]);
      expect(leftOf(name(3))).to.deep.equal([{ path: '$', rule: 'must be a non-empty string' }]);
    });
  });

  describe('objectOf', () => {
    const point = objectOf('point', { x: numberBetween(0, 10), y: numberBetween(0, 10), label: nullable(str) });

    it('keeps only the declared fields', () => {
      expect(rightOf(decodeWith(point)({ x: 1, y: 2, z: 3 }))).to.deep.equal({ x: 1, y: 2, label: null });
    });

    it('says "is required" for a missing required field and names the rule for a wrong one', () => {
      expect(leftOf(decodeWith(point)({ y: 'two' }))).to.deep.equal([
        { path: '$.x', rule: 'is required' },
        { path: '$.y', rule: 'must be a number from 0 to 10 inclusive' },
      ]);
    });

    it('does not call an optional field required when it is absent', () => {
      expect(decodeWith(point)({ x: 1, y: 2 })._tag).to.equal('Right');
    });

    it('names nested paths with dots for fields and brackets for indices', () => {
      const shape = objectOf('shape', { points: arrayOf(point) });
      expect(leftOf(decodeWith(shape)({ points: [{ x: 1, y: 1 }, { x: 1 }] }))).to.deep.equal([
        { path: '$.points[1].y', rule: 'is required' },
      ]);
    });

    it('rejects a non-object', () => {
      for (const v of [null, [], 'x', 3]) {
        expect(leftOf(decodeWith(point)(v))).to.deep.equal([{ path: '$', rule: 'must be an object' }]);
      }
    });
  });

  describe('pathOf and fieldErrors', () => {
    it('renders the root context as $', () => {
      expect(pathOf([{ key: '', type: str, actual: 1 }])).to.equal('$');
    });

    it('renders field keys with dots and numeric keys as indices', () => {
      const ctx: t.Context = [
        { key: '', type: str, actual: null },
        { key: 'persons', type: str, actual: null },
        { key: '0', type: str, actual: null },
        { key: 'firstname', type: str, actual: null },
      ];
      expect(pathOf(ctx)).to.equal('$.persons[0].firstname');
    });

    it('keeps one error per path, the first rule reported', () => {
      const root = { key: '', type: str, actual: null };
      const at = { key: 'a', type: str, actual: null };
      const errors: t.Errors = [
        { value: 1, context: [root, at], message: 'first rule' },
        { value: 1, context: [root, at], message: 'second rule' },
        { value: 1, context: [root, { key: 'b', type: str, actual: null }], message: 'other' },
      ];
      expect(fieldErrors(errors)).to.deep.equal([
        { path: '$.a', rule: 'first rule' },
        { path: '$.b', rule: 'other' },
      ]);
    });

    it('falls back to the type name when an error has no message', () => {
      const errors: t.Errors = [{ value: 1, context: [{ key: '', type: t.string, actual: 1 }] }];
      expect(fieldErrors(errors)).to.deep.equal([{ path: '$', rule: 'must be string' }]);
    });
  });
});
