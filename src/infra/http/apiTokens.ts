import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { arrayOf, decodeWith, objectOf, oneOf } from '../../domain/codecs.js';
import type { FieldError } from '../../domain/rejection.js';
import { SCOPES, type Scope } from './scopes.js';

/**
 * The API's callers: named tokens, each with a scope, read from API_TOKENS_FILE (a JSON list that
 * holds SHA-256 hashes, never tokens, so a mounted Kubernetes Secret or a file in a repository of
 * settings reveals no token) and from API_TOKEN (one admin token named `api-token`).
 */

/** A token as the file lists it: who presents it, the SHA-256 of its UTF-8 bytes (lower-case hex), what it may do. */
export interface ApiTokenEntry {
  readonly name: string;
  readonly sha256: string;
  readonly scope: Scope;
}

/** Who made a request: recorded on the commands it sends and logged with it. */
export interface Actor {
  /** `API_TOKEN` for a caller that presented a known token; `ANONYMOUS` when no token is configured or the route is public. */
  readonly type: 'API_TOKEN' | 'ANONYMOUS';
  readonly name: string;
  readonly scope: Scope;
}

/** The caller when no token is configured (a loopback API, or HTTP_ALLOW_UNAUTHENTICATED): it may do everything. */
export const ANONYMOUS: Actor = { type: 'ANONYMOUS', name: 'anonymous', scope: 'admin' };

/** The name API_TOKEN is recorded under. */
export const API_TOKEN_NAME = 'api-token';

export const MAX_API_TOKENS = 100;
export const MAX_TOKENS_FILE_BYTES = 65_536;
/** A longer bearer token is no token casestream issued: refused before it is hashed. */
export const MAX_BEARER_TOKEN_LENGTH = 4_096;
/** How many problems of a bad file the startup error lists. */
const MAX_REPORTED_PROBLEMS = 20;

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const ENTRY_FIELDS: readonly string[] = ['name', 'sha256', 'scope'];

export const sha256Hex = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A token's name: it is logged and recorded on commands, so it is short and plain. */
export const tokenName = new t.Type<string, string, unknown>(
  'a token name',
  (u): u is string => typeof u === 'string' && TOKEN_NAME.test(u),
  (u, c) =>
    typeof u === 'string' && TOKEN_NAME.test(u)
      ? t.success(u)
      : t.failure(u, c, 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or a digit'),
  t.identity,
);

/** 64 hex digits in either case, kept in lower case (what sha256sum prints). */
const sha256Digest = new t.Type<string, string, unknown>(
  'a SHA-256',
  (u): u is string => typeof u === 'string' && SHA256_HEX.test(u),
  (u, c) =>
    typeof u === 'string' && SHA256_HEX.test(u)
      ? t.success(u.toLowerCase())
      : t.failure(u, c, 'must be the SHA-256 of the token: 64 hex digits'),
  t.identity,
);

const entryFields = objectOf('an API token', { name: tokenName, sha256: sha256Digest, scope: oneOf(SCOPES) });

/** An entry with exactly name, sha256 and scope: any other field (a `token` most of all) is refused, never ignored. */
const entry = new t.Type<ApiTokenEntry, unknown, unknown>(
  'an API token',
  (u): u is ApiTokenEntry => entryFields.is(u),
  (u, c) => {
    const decoded = entryFields.validate(u, c);
    const extra =
      typeof u === 'object' && u !== null && !Array.isArray(u) ? Object.entries(u).filter(([k]) => !ENTRY_FIELDS.includes(k)) : [];
    if (extra.length === 0) return decoded;
    const errors: t.ValidationError[] = extra.map(([key, value]) => ({
      value,
      context: t.appendContext(c, key, entryFields, value),
      message: 'is not allowed: an entry holds name, sha256 and scope only, never the token',
    }));
    return t.failures(E.isLeft(decoded) ? [...decoded.left, ...errors] : errors);
  },
  t.identity,
);

const tokensFile = arrayOf(entry, MAX_API_TOKENS);

/** Each name and each token once: two names for one token would make the actor ambiguous. */
const duplicatesIn = (entries: readonly ApiTokenEntry[]): FieldError[] => {
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  const problems: FieldError[] = [];
  entries.forEach((e, i) => {
    const sameName = names.get(e.name);
    if (sameName === undefined) names.set(e.name, i);
    else problems.push({ path: `$[${i}].name`, rule: `must be unique: $[${sameName}] has the same name` });
    const sameToken = hashes.get(e.sha256);
    if (sameToken === undefined) hashes.set(e.sha256, i);
    else problems.push({ path: `$[${i}].sha256`, rule: `must be unique: $[${sameToken}] is the same token` });
  });
  return problems;
};

/** The entries of a tokens file's text, or every problem as a JSON path and its rule. */
export const decodeTokensFile = (text: string): E.Either<FieldError[], ApiTokenEntry[]> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return E.left([{ path: '$', rule: 'must be JSON: a list of {"name", "sha256", "scope"}' }]);
  }
  return pipe(
    decodeWith(tokensFile)(json),
    E.chain((entries) => (entries.length > 0 ? E.right(entries) : E.left([{ path: '$', rule: 'must list at least one token' }]))),
    E.chain((entries) => {
      const duplicates = duplicatesIn(entries);
      return duplicates.length === 0 ? E.right(entries) : E.left(duplicates);
    }),
  );
};

/** The caller a bearer token authenticates, and the names and scopes known (for the startup log; never hashes). */
export interface ApiTokens {
  authenticate(presented: string | undefined): Actor | undefined;
  readonly actors: readonly Actor[];
}

/**
 * The presented token is hashed, then compared with every known hash by timingSafeEqual, without
 * stopping at a match: the time taken depends on the number of entries alone, not on which entry
 * matched nor on how much of a hash did. (A lookup by hash would leak nothing useful either: its
 * timing depends on the SHA-256 of the attacker's own guess, and learning that a stored hash starts
 * like that digest brings no closer to a token with that hash.)
 */
export const apiTokens = (entries: readonly ApiTokenEntry[]): ApiTokens => {
  const known = entries.map((e) => ({
    actor: { type: 'API_TOKEN', name: e.name, scope: e.scope } as const,
    digest: Buffer.from(e.sha256, 'hex'),
  }));
  return {
    actors: known.map((k) => k.actor),
    authenticate(presented) {
      if (presented === undefined || presented.length > MAX_BEARER_TOKEN_LENGTH) return undefined;
      const digest = createHash('sha256').update(presented, 'utf8').digest();
      let found: Actor | undefined;
      for (const k of known) if (timingSafeEqual(digest, k.digest)) found = k.actor;
      return found;
    },
  };
};

/** The token of an `Authorization: Bearer <token>` header (scheme in any case), or undefined. */
export const bearerToken = (header: string | undefined): string | undefined => {
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return m?.[1];
};

export interface TokenSources {
  /** API_TOKEN: one admin token (every scope, as the single shared token always had), named `api-token`. */
  readonly apiToken: string | undefined;
  /** API_TOKENS_FILE: the path of the JSON list of named, hashed tokens. */
  readonly apiTokensFile: string | undefined;
}

const listed = (setting: string, problems: readonly FieldError[]): string => {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS).map((p) => `  ${setting}: ${p.path} ${p.rule}`);
  const more = problems.length - shown.length;
  return `invalid settings:\n${shown.join('\n')}${more > 0 ? `\n  ${setting}: and ${more} more` : ''}`;
};

const readTokensFile = (path: string, readFile: (path: string) => Buffer): E.Either<string, ApiTokenEntry[]> => {
  let bytes: Buffer;
  try {
    bytes = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return E.left(`invalid settings:\n  API_TOKENS_FILE ${path} cannot be read${code ? ` (${code})` : ''}`);
  }
  if (bytes.length > MAX_TOKENS_FILE_BYTES) {
    return E.left(`invalid settings:\n  API_TOKENS_FILE ${path} is ${bytes.length} bytes, more than ${MAX_TOKENS_FILE_BYTES}`);
  }
  return E.mapLeft((problems: FieldError[]) => listed(`API_TOKENS_FILE ${path}`, problems))(decodeTokensFile(bytes.toString('utf8')));
};

/**
 * The tokens of API_TOKENS_FILE and API_TOKEN together, read once at startup; undefined when
 * neither is set (every caller is ANONYMOUS). A bad file, or an API_TOKEN that repeats a name or
 * a token of the file, is one message naming every problem.
 */
export const loadApiTokens = (
  sources: TokenSources,
  readFile: (path: string) => Buffer = (p) => readFileSync(p),
): E.Either<string, ApiTokens | undefined> =>
  pipe(
    sources.apiTokensFile === undefined ? E.right([]) : readTokensFile(sources.apiTokensFile, readFile),
    E.chain((fromFile) => {
      const all: ApiTokenEntry[] =
        sources.apiToken === undefined
          ? fromFile
          : [...fromFile, { name: API_TOKEN_NAME, sha256: sha256Hex(sources.apiToken), scope: 'admin' }];
      if (all.length === 0) return E.right(undefined);
      const clash = duplicatesIn(all).find((p) => p.path.startsWith(`$[${fromFile.length}]`));
      return clash === undefined
        ? E.right(apiTokens(all))
        : E.left(
            `invalid settings:\n  API_TOKEN ${clash.path.endsWith('.name') ? `is recorded as "${API_TOKEN_NAME}", a name API_TOKENS_FILE also uses` : 'is also a token of API_TOKENS_FILE'}`,
          );
    }),
  );
