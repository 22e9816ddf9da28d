import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { DocumentStatus, EntityType, ErasureSubjectKind } from '../../domain/caseCommand.js';
import { arrayOf, decodeWith, jsonObject, objectOf, oneOf, optional, str } from '../../domain/codecs.js';
import type { FieldError } from '../../domain/rejection.js';
import { unstorableBecause } from '../../domain/storableDocument.js';

/**
 * io-ts codecs for the HTTP API's parameters and bodies, built from src/domain/codecs.ts so that a
 * bad request is answered like a bad message: every failing field as a JSON path and its rule.
 * Query parameters are decoded as the object `{query: {...}}` and path parameters as
 * `{path: {...}}`, so their errors read `$.query.limit` and `$.path.case_id`; bodies are decoded
 * from their root, `$.case_id`.
 */

export const MAX_ID_LENGTH = 200;

/** True when a string holds a C0 control character or DEL. */
const hasControlCharacter = (s: string): boolean => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
export const DEFAULT_PAGE_LIMIT = 50;

/** An id in a path or body: 1..200 characters, no control characters. */
const idString = new t.Type<string, string, unknown>(
  'an id',
  (u): u is string => typeof u === 'string' && u.trim().length > 0 && u.length <= MAX_ID_LENGTH && !hasControlCharacter(u),
  (u, c) => {
    if (typeof u !== 'string' || u.trim().length === 0) return t.failure(u, c, 'must be a non-empty string');
    if (u.length > MAX_ID_LENGTH) return t.failure(u, c, `must be at most ${MAX_ID_LENGTH} characters`);
    if (hasControlCharacter(u)) return t.failure(u, c, 'must not contain control characters');
    return t.success(u);
  },
  t.identity,
);

/** A query-string integer in [min, max]; absent → `fallback`. */
const intParam = (min: number, max: number, fallback: number) =>
  new t.Type<number, string, unknown>(
    `an integer from ${min} to ${max}`,
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (u === undefined) return t.success(fallback);
      const n = typeof u === 'string' && /^\d{1,15}$/.test(u) ? Number(u) : NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max ? t.success(n) : t.failure(u, c, `must be an integer from ${min} to ${max}`);
    },
    String,
  );

/** A query-string boolean: `true` or `false`; absent → undefined. */
const boolParam = new t.Type<boolean | undefined, string | undefined, unknown>(
  'true or false',
  (u): u is boolean | undefined => u === undefined || typeof u === 'boolean',
  (u, c) =>
    u === undefined
      ? t.success(undefined)
      : u === 'true'
        ? t.success(true)
        : u === 'false'
          ? t.success(false)
          : t.failure(u, c, 'must be true or false'),
  (a) => (a === undefined ? undefined : String(a)),
);

/** Absent stays undefined; anything else must satisfy `codec`. */
const absentOr = <A, O>(codec: t.Type<A, O, unknown>) =>
  new t.Type<A | undefined, O | undefined, unknown>(
    `${codec.name} or absent`,
    (u): u is A | undefined => u === undefined || codec.is(u),
    (u, c) => (u === undefined ? t.success(undefined) : codec.validate(u, c)),
    (a) => (a === undefined ? undefined : codec.encode(a)),
  );

/** A key MongoDB stores as a plain field: non-empty, no `.` or NUL, not an operator (`$`). */
const isFieldName = (key: string): boolean =>
  key !== '' && !key.includes('.') && !key.includes('\0') && !key.startsWith('$') && key.length <= MAX_ID_LENGTH;

/**
 * `metadata_changes`: an object whose keys become `metadata.<key>` field paths in the read model, so
 * a key must be a plain field name (non-empty, no `.` or NUL, not starting with `$`), and each value
 * must be storable on every server (see unstorableBecause: no such keys at any depth, no array
 * directly inside an array), or the event's append would fail again and again.
 */
const metadataChanges = new t.Type<Record<string, unknown>, Record<string, unknown>, unknown>(
  'metadata changes',
  (u): u is Record<string, unknown> => jsonObject.is(u),
  (u, c) => {
    const base = jsonObject.validate(u, c);
    if (E.isLeft(base)) return base;
    const errors: t.Errors = [];
    for (const [key, value] of Object.entries(base.right)) {
      const context = t.appendContext(c, key, jsonObject, value);
      if (!isFieldName(key)) {
        errors.push({ value, context, message: 'must be a field name: non-empty, without "." or NUL, not starting with "$"' });
      } else {
        const why = unstorableBecause(value);
        if (why !== null) errors.push({ value, context, message: `must be storable: it ${why}` });
      }
    }
    return errors.length > 0 ? t.failures(errors) : t.success(base.right);
  },
  t.identity,
);

const withQuery = <P extends Record<string, t.Mixed>>(name: string, props: P) => objectOf(name, { query: objectOf('query', props) });
const withPath = <P extends Record<string, t.Mixed>>(name: string, props: P) => objectOf(name, { path: objectOf('path', props) });

/** `limit` and `skip` of a paged route, capped by API_MAX_PAGE_SIZE and API_MAX_SKIP. */
export const pageQuery = (maxLimit: number, maxSkip: number) =>
  withQuery('page', {
    limit: intParam(1, maxLimit, Math.min(DEFAULT_PAGE_LIMIT, maxLimit)),
    skip: intParam(0, maxSkip, 0),
  });

export const documentFilterQuery = withQuery('document filter', {
  entity_id: absentOr(idString),
  entity_type: absentOr(oneOf(EntityType)),
  status: absentOr(oneOf(DocumentStatus)),
  is_required: boolParam,
});

/** Printable ASCII without spaces: a key is compared byte for byte and shown back in messages. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]+$/;

/** The optional `Idempotency-Key` header of the command routes, decoded as `{headers: {'idempotency-key': ...}}`. */
export const idempotencyKeyHeader = (maxLength: number) =>
  objectOf('headers', {
    headers: objectOf('headers', {
      'idempotency-key': absentOr(
        new t.Type<string, string, unknown>(
          'an idempotency key',
          (u): u is string => typeof u === 'string' && u.length <= maxLength && IDEMPOTENCY_KEY.test(u),
          (u, c) =>
            typeof u === 'string' && u.length >= 1 && u.length <= maxLength && IDEMPOTENCY_KEY.test(u)
              ? t.success(u)
              : t.failure(u, c, `must be 1 to ${maxLength} printable ASCII characters without spaces`),
          t.identity,
        ),
      ),
    }),
  });

/** One path parameter named `name`. */
export const pathId = <N extends string>(name: N) => withPath(`path ${name}`, { [name]: idString } as Record<N, typeof idString>);

export const determineRequirementsBody = objectOf('DetermineDocumentRequirements request', {
  case_id: idString,
  entity_id: idString,
  entity_type: oneOf(EntityType),
});

/** Closing a case: why (the actor is the token's, as for every command). */
export const closeCaseBody = objectOf('CloseCase request', { reason: idString });

/** `codec`, refusing each of `fields` that the input holds, whatever its value (null included). */
const refusing = <A>(codec: t.Type<A, unknown, unknown>, fields: readonly string[], why: string) =>
  new t.Type<A, unknown, unknown>(
    codec.name,
    (u): u is A => codec.is(u),
    (u, c) => {
      const decoded = codec.validate(u, c);
      const present = jsonObject.is(u) ? Object.entries(u).filter(([key]) => fields.includes(key)) : [];
      if (present.length === 0) return decoded;
      const errors: t.Errors = present.map(([key, value]) => ({ value, context: t.appendContext(c, key, codec, value), message: why }));
      return t.failures(E.isLeft(decoded) ? [...decoded.left, ...errors] : errors);
    },
    t.identity,
  );

const NOT_THE_ACTOR = 'must not be sent: the actor recorded is the token the request authenticates with';

/**
 * The actor of the command is the token the request authenticates with: a body that names one is
 * refused rather than silently overridden, so a client that still sends it learns at once.
 */
export const updateDocumentStatusBody = refusing(
  objectOf('UpdateDocumentStatus request', {
    new_status: oneOf(DocumentStatus),
    metadata_changes: optional(metadataChanges, {} as Record<string, unknown>),
    notes_to_add: optional(arrayOf(str), [] as string[]),
  }),
  ['updated_by_actor_type', 'updated_by_actor_id'],
  NOT_THE_ACTOR,
);

/** Erasing a person or beneficial owner of a case: whom, and why (who asks is the token). */
export const erasureBody = refusing(
  objectOf('EraseSubject request', { subject: objectOf('subject', { kind: oneOf(ErasureSubjectKind), id: idString }), reason: idString }),
  ['requested_by'],
  NOT_THE_ACTOR,
);

/** Placing or lifting a case's legal hold: why (who does it is the token). */
export const legalHoldBody = refusing(objectOf('legal hold request', { reason: idString }), ['placed_by', 'lifted_by'], NOT_THE_ACTOR);

/** Decodes, or every field error. */
export const decode = <A>(codec: t.Type<A, unknown, unknown>, input: unknown): E.Either<FieldError[], A> => decodeWith(codec)(input);
