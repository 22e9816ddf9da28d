import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { FieldError } from './rejection.js';

/**
 * io-ts building blocks whose failures carry the rule a user broke, so that one
 * reporter can name every failing field as a JSON path without guessing from type names.
 */

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** What a quick decoder answers for a value its codec refuses. */
const REFUSED = Symbol('refused');
/** Decodes a value without errors: the decoded value, or REFUSED. */
type Quick = (u: unknown) => unknown;

/**
 * The quick decoders of the codecs made here. io-ts builds an Either, and here a context, for every
 * field it validates; objects and arrays first decode quickly, without any of that, and validate
 * only what is refused, to name its errors: a valid message, nearly every one, costs its decoded
 * value and little more. Any other codec decodes quickly as io-ts decodes it.
 */
const quickDecoders = new WeakMap<t.Any, Quick>();

const quickOf = (codec: t.Any): Quick => {
  const own = quickDecoders.get(codec);
  if (own) return own;
  return (u) => {
    const r = codec.decode(u);
    return E.isRight(r) ? r.right : REFUSED;
  };
};

const withQuick = <C extends t.Any>(codec: C, quick: Quick): C => {
  quickDecoders.set(codec, quick);
  return codec;
};

const primitive = <A>(name: string, guard: (u: unknown) => u is A) =>
  withQuick(
    new t.Type<A, A, unknown>(name, guard, (u, c) => (guard(u) ? t.success(u) : t.failure(u, c, `must be ${name}`)), t.identity),
    (u) => (guard(u) ? u : REFUSED),
  );

export const str = primitive('a string', (u): u is string => typeof u === 'string');
export const nonEmptyStr = primitive('a non-empty string', (u): u is string => typeof u === 'string' && u.trim().length > 0);
export const bool = primitive('a boolean', (u): u is boolean => typeof u === 'boolean');
export const jsonObject = primitive('an object', isPlainObject);

/** `codec`, refusing strings longer than `max` characters before anything else is checked. */
export const withMaxLength = (codec: t.Type<string, string, unknown>, max: number) => {
  const quick = quickOf(codec);
  return withQuick(
    new t.Type<string, string, unknown>(
      codec.name,
      (u): u is string => codec.is(u) && u.length <= max,
      (u, c) =>
        typeof u === 'string' && u.length > max ? t.failure(u, c, `must be at most ${max} characters long`) : codec.validate(u, c),
      t.identity,
    ),
    (u) => (typeof u === 'string' && u.length > max ? REFUSED : quick(u)),
  );
};

/** Appends one by one: spreading a long error list into push() overflows the call stack. */
const appendAll = (errors: t.ValidationError[], more: t.Errors): void => {
  for (const e of more) errors.push(e);
};

/** A number within [min, max] inclusive. */
export const numberBetween = (min: number, max: number) => {
  const within = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max;
  return withQuick(
    new t.Type<number, number, unknown>(
      `a number from ${min} to ${max}`,
      (u): u is number => typeof u === 'number' && u >= min && u <= max,
      (u, c) => (within(u) ? t.success(u) : t.failure(u, c, `must be a number from ${min} to ${max} inclusive`)),
      t.identity,
    ),
    (u) => (within(u) ? u : REFUSED),
  );
};

/** Exactly one of the given string values. */
export const oneOf = <L extends string>(values: readonly L[]) => {
  const isOne = (u: unknown): u is L => typeof u === 'string' && (values as readonly string[]).includes(u);
  return withQuick(
    new t.Type<L, L, unknown>(
      values.join(' | '),
      isOne,
      (u, c) => (isOne(u) ? t.success(u) : t.failure(u, c, `must be one of ${values.join(', ')}`)),
      t.identity,
    ),
    (u) => (isOne(u) ? u : REFUSED),
  );
};

/** Fresh copies of `value`: an empty array or object built anew (no structuredClone for the usual fallbacks). */
const freshCopies = <A>(value: A): (() => A) => {
  if (typeof value !== 'object' || value === null) return () => value;
  if (Array.isArray(value) && value.length === 0) return () => [] as A;
  if (Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0) return () => ({}) as A;
  return () => structuredClone(value);
};

/**
 * Absent or null decodes to `fallback` (a fresh copy when it is an object, so that no decoded
 * value shares it); anything else must satisfy `codec`.
 */
export const optional = <A, O>(codec: t.Type<A, O, unknown>, fallback: A) => {
  const fresh = freshCopies(fallback);
  const quick = quickOf(codec);
  return withQuick(
    new t.Type<A, O | A, unknown>(
      `${codec.name} or null`,
      (u): u is A => u === undefined || u === null || codec.is(u),
      (u, c) => (u === undefined || u === null ? t.success(fresh()) : codec.validate(u, c)),
      (a) => codec.encode(a),
    ),
    (u) => (u === undefined || u === null ? fresh() : quick(u)),
  );
};

export const nullable = <A, O>(codec: t.Type<A, O, unknown>) =>
  optional<A | null, O | null>(codec as t.Type<A | null, O | null, unknown>, null);

/**
 * An array of at most `maxItems` elements, each satisfying `item`; each bad element is reported
 * with its index. A longer array is refused by its length alone, so its elements cost nothing.
 */
export const arrayOf = <A, O>(item: t.Type<A, O, unknown>, maxItems = Number.POSITIVE_INFINITY) => {
  const quickItem = quickOf(item);
  const quick = (u: unknown): unknown => {
    if (!Array.isArray(u) || u.length > maxItems) return REFUSED;
    const out: unknown[] = [];
    for (const el of u) {
      const v = quickItem(el);
      if (v === REFUSED) return REFUSED;
      out.push(v);
    }
    return out;
  };
  return withQuick(
    new t.Type<A[], O[], unknown>(
      `an array of ${item.name}`,
      (u): u is A[] => Array.isArray(u) && u.length <= maxItems && u.every(item.is),
      (u, c) => {
        const decoded = quick(u);
        if (decoded !== REFUSED) return t.success(decoded as A[]);
        if (!Array.isArray(u)) return t.failure(u, c, 'must be an array');
        if (u.length > maxItems) return t.failure(u, c, `must have at most ${maxItems} items`);
        const errors: t.ValidationError[] = [];
        const out: A[] = [];
        u.forEach((el, i) => {
          const r = item.validate(el, t.appendContext(c, String(i), item, el));
          if (E.isLeft(r)) appendAll(errors, r.left);
          else out.push(r.right);
        });
        return errors.length > 0 ? t.failures(errors) : t.success(out);
      },
      (as) => as.map(item.encode),
    ),
    quick,
  );
};

type Props = Record<string, t.Mixed>;
type Decoded<P extends Props> = { [K in keyof P]: t.TypeOf<P[K]> };

/**
 * An object with the given fields; unknown fields are dropped; a missing required field says
 * "is required" rather than "must be a string".
 */
export const objectOf = <P extends Props>(name: string, props: P) => {
  const fields = Object.entries(props);
  const quickFields = fields.map(([key, codec]) => [key, quickOf(codec)] as const);
  const quick = (u: unknown): unknown => {
    if (!isPlainObject(u)) return REFUSED;
    const out: Record<string, unknown> = {};
    for (const [key, quickField] of quickFields) {
      const v = quickField(u[key]);
      if (v === REFUSED) return REFUSED;
      out[key] = v;
    }
    return out;
  };
  return withQuick(
    new t.Type<Decoded<P>, unknown, unknown>(
      name,
      (u): u is Decoded<P> => isPlainObject(u) && fields.every(([k, codec]) => codec.is(u[k])),
      (u, c) => {
        const decoded = quick(u);
        if (decoded !== REFUSED) return t.success(decoded as Decoded<P>);
        if (!isPlainObject(u)) return t.failure(u, c, 'must be an object');
        const errors: t.ValidationError[] = [];
        const out: Record<string, unknown> = {};
        for (const [key, codec] of fields) {
          const value = u[key];
          const r = codec.validate(value, t.appendContext(c, key, codec, value));
          if (E.isLeft(r)) {
            if (value === undefined && !codec.is(undefined)) {
              errors.push({ value, context: t.appendContext(c, key, codec, value), message: 'is required' });
            } else appendAll(errors, r.left);
          } else out[key] = r.right;
        }
        return errors.length > 0 ? t.failures(errors) : t.success(out as Decoded<P>);
      },
      t.identity,
    ),
    quick,
  );
};

/** Joins an io-ts context into a JSON path: `$.persons[0].firstname`. */
export const pathOf = (context: t.Context): string =>
  context.slice(1).reduce((path, entry) => (/^\d+$/.test(entry.key) ? `${path}[${entry.key}]` : `${path}.${entry.key}`), '$');

/** Turns io-ts errors into one FieldError per failing path, first rule wins. */
export const fieldErrors = (errors: t.Errors): FieldError[] => {
  const seen = new Map<string, string>();
  for (const e of errors) {
    const path = pathOf(e.context);
    if (!seen.has(path)) seen.set(path, e.message ?? `must be ${e.context[e.context.length - 1]?.type.name ?? 'valid'}`);
  }
  return [...seen].map(([path, rule]) => ({ path, rule }));
};

/** Decodes with `codec`, reporting failures as field errors. */
export const decodeWith =
  <A>(codec: t.Type<A, unknown, unknown>) =>
  (input: unknown): E.Either<FieldError[], A> =>
    pipe(codec.decode(input), E.mapLeft(fieldErrors));
