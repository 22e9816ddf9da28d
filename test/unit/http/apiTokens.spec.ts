import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  ANONYMOUS,
  apiTokens,
  decodeTokensFile,
  loadApiTokens,
  MAX_API_TOKENS,
  MAX_BEARER_TOKEN_LENGTH,
  MAX_TOKENS_FILE_BYTES,
  sha256Hex,
} from '../../../src/infra/http/apiTokens.js';
import { grants } from '../../../src/infra/http/scopes.js';

const ALICE = 'alice-token-0123456789abcdef0123456789';
const BOB = 'bob-token-0123456789abcdef0123456789ab';
const LEGACY = 'legacy-token-0123456789abcdef01234567';

const entry = (name: string, token: string, scope: string) => ({ name, sha256: sha256Hex(token), scope });
const fileOf = (value: unknown) => JSON.stringify(value);

const problemsOf = (text: string) => {
  const decoded = decodeTokensFile(text);
  if (E.isRight(decoded)) throw new Error('expected the file to be refused');
  return decoded.left;
};

/** loadApiTokens over an in-memory file system. */
const load = (sources: { apiToken?: string; file?: string }) =>
  loadApiTokens({ apiToken: sources.apiToken, apiTokensFile: sources.file === undefined ? undefined : '/secrets/tokens.json' }, (path) => {
    if (path !== '/secrets/tokens.json' || sources.file === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return Buffer.from(sources.file, 'utf8');
  });

const messageOf = (sources: { apiToken?: string; file?: string }): string => {
  const loaded = load(sources);
  if (E.isRight(loaded)) throw new Error('expected loading to fail');
  return loaded.left;
};

describe('API tokens file', () => {
  it('decodes named, hashed tokens with their scopes, keeping the hashes in lower case', () => {
    const upper = sha256Hex(BOB).toUpperCase();
    const decoded = decodeTokensFile(fileOf([entry('ops-alice', ALICE, 'write'), { name: 'crm.reader_2', sha256: upper, scope: 'read' }]));
    expect(decoded).to.deep.equal(
      E.right([
        { name: 'ops-alice', sha256: sha256Hex(ALICE), scope: 'write' },
        { name: 'crm.reader_2', sha256: sha256Hex(BOB), scope: 'read' },
      ]),
    );
  });

  it('refuses a token in clear, or any field besides name, sha256 and scope, rather than ignoring it', () => {
    expect(problemsOf(fileOf([{ ...entry('ops-alice', ALICE, 'read'), token: ALICE, note: 'x' }]))).to.deep.equal([
      { path: '$[0].token', rule: 'is not allowed: an entry holds name, sha256 and scope only, never the token' },
      { path: '$[0].note', rule: 'is not allowed: an entry holds name, sha256 and scope only, never the token' },
    ]);
  });

  it('names every bad field: a name out of its charset or length, a hash that is not 64 hex digits, an unknown scope', () => {
    expect(
      problemsOf(
        fileOf([
          { name: 'ops alice', sha256: sha256Hex(ALICE).slice(1), scope: 'root' },
          { name: '-x', sha256: `${sha256Hex(BOB).slice(1)}g`, scope: 'write' },
          { name: 'a'.repeat(65), sha256: sha256Hex(LEGACY), scope: 'READ' },
          { sha256: 7 },
        ]),
      ),
    ).to.deep.equal([
      { path: '$[0].name', rule: 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or a digit' },
      { path: '$[0].sha256', rule: 'must be the SHA-256 of the token: 64 hex digits' },
      { path: '$[0].scope', rule: 'must be one of read, write, admin' },
      { path: '$[1].name', rule: 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or a digit' },
      { path: '$[1].sha256', rule: 'must be the SHA-256 of the token: 64 hex digits' },
      { path: '$[2].name', rule: 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or a digit' },
      { path: '$[2].scope', rule: 'must be one of read, write, admin' },
      { path: '$[3].name', rule: 'is required' },
      { path: '$[3].sha256', rule: 'must be the SHA-256 of the token: 64 hex digits' },
      { path: '$[3].scope', rule: 'is required' },
    ]);
  });

  it('refuses a file that is not JSON, not a list, an empty list, or one longer than the bound', () => {
    expect(problemsOf('{"name": ')).to.deep.equal([{ path: '$', rule: 'must be JSON: a list of {"name", "sha256", "scope"}' }]);
    expect(problemsOf(fileOf(entry('ops-alice', ALICE, 'read')))).to.deep.equal([{ path: '$', rule: 'must be an array' }]);
    expect(problemsOf('[]')).to.deep.equal([{ path: '$', rule: 'must list at least one token' }]);
    const many = Array.from({ length: MAX_API_TOKENS + 1 }, (_, i) => entry(`t${i}`, `${ALICE}-${i}`, 'read'));
    expect(problemsOf(fileOf(many))).to.deep.equal([{ path: '$', rule: `must have at most ${MAX_API_TOKENS} items` }]);
  });

  it('refuses two entries with one name, or one token under two names (the actor would be ambiguous)', () => {
    expect(
      problemsOf(fileOf([entry('ops-alice', ALICE, 'read'), entry('ops-alice', BOB, 'read'), entry('ops-carol', ALICE, 'write')])),
    ).to.deep.equal([
      { path: '$[1].name', rule: 'must be unique: $[0] has the same name' },
      { path: '$[2].sha256', rule: 'must be unique: $[0] is the same token' },
    ]);
  });
});

describe('loading API tokens at startup', () => {
  it('has no tokens when neither API_TOKENS_FILE nor API_TOKEN is set: every caller is anonymous', () => {
    expect(load({})).to.deep.equal(E.right(undefined));
  });

  it('authenticates the tokens of the file by their names and scopes, and API_TOKEN as the admin token "api-token"', () => {
    const loaded = load({ apiToken: LEGACY, file: fileOf([entry('ops-alice', ALICE, 'read'), entry('crm', BOB, 'write')]) });
    if (E.isLeft(loaded) || loaded.right === undefined) throw new Error('expected tokens');
    const tokens = loaded.right;
    expect(tokens.authenticate(ALICE)).to.deep.equal({ type: 'API_TOKEN', name: 'ops-alice', scope: 'read' });
    expect(tokens.authenticate(BOB)).to.deep.equal({ type: 'API_TOKEN', name: 'crm', scope: 'write' });
    expect(tokens.authenticate(LEGACY)).to.deep.equal({ type: 'API_TOKEN', name: 'api-token', scope: 'admin' });
    expect(tokens.actors.map((a) => a.name)).to.deep.equal(['ops-alice', 'crm', 'api-token']);
  });

  it('says which setting is wrong and why, naming the file and every bad field, never a token', () => {
    const message = messageOf({ file: fileOf([{ name: 'ops alice', sha256: ALICE, scope: 'read' }]) });
    expect(message).to.equal(
      [
        'invalid settings:',
        '  API_TOKENS_FILE /secrets/tokens.json: $[0].name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or a digit',
        '  API_TOKENS_FILE /secrets/tokens.json: $[0].sha256 must be the SHA-256 of the token: 64 hex digits',
      ].join('\n'),
    );
    expect(message).not.to.contain(ALICE);
  });

  it('lists at most 20 problems of a bad file and counts the rest', () => {
    const bad = Array.from({ length: 30 }, () => ({ name: 'x', sha256: 'nope', scope: 'read' }));
    const lines = messageOf({ file: fileOf(bad) }).split('\n');
    expect(lines).to.have.length(22);
    expect(lines.at(-1)).to.equal('  API_TOKENS_FILE /secrets/tokens.json: and 10 more');
  });

  it('refuses a file that cannot be read, or that is larger than the bound, before parsing it', () => {
    expect(
      loadApiTokens({ apiToken: undefined, apiTokensFile: '/nowhere/tokens.json' }, () => {
        throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      }),
    ).to.deep.equal(E.left('invalid settings:\n  API_TOKENS_FILE /nowhere/tokens.json cannot be read (ENOENT)'));
    expect(messageOf({ file: ' '.repeat(MAX_TOKENS_FILE_BYTES + 1) })).to.equal(
      `invalid settings:\n  API_TOKENS_FILE /secrets/tokens.json is ${MAX_TOKENS_FILE_BYTES + 1} bytes, more than ${MAX_TOKENS_FILE_BYTES}`,
    );
  });

  it('refuses an API_TOKEN that repeats a token of the file, or whose name the file already uses', () => {
    expect(messageOf({ apiToken: ALICE, file: fileOf([entry('ops-alice', ALICE, 'read')]) })).to.equal(
      'invalid settings:\n  API_TOKEN is also a token of API_TOKENS_FILE',
    );
    expect(messageOf({ apiToken: LEGACY, file: fileOf([entry('api-token', ALICE, 'read')]) })).to.equal(
      'invalid settings:\n  API_TOKEN is recorded as "api-token", a name API_TOKENS_FILE also uses',
    );
  });
});

describe('authenticating a bearer token', () => {
  const tokens = apiTokens([
    { name: 'ops-alice', sha256: sha256Hex(ALICE), scope: 'read' },
    { name: 'crm', sha256: sha256Hex(BOB), scope: 'write' },
  ]);

  it('knows no token that is absent, unknown, a prefix or an extension of a known one, or differs in case', () => {
    for (const presented of [undefined, '', 'nope', ALICE.slice(0, -1), `${ALICE}x`, ALICE.toUpperCase(), sha256Hex(ALICE)]) {
      expect(tokens.authenticate(presented), String(presented)).to.equal(undefined);
    }
  });

  it('refuses a token longer than the bound without hashing it, and survives a megabyte of one', () => {
    expect(tokens.authenticate('a'.repeat(MAX_BEARER_TOKEN_LENGTH + 1))).to.equal(undefined);
    expect(tokens.authenticate('\u0000'.repeat(1_048_576))).to.equal(undefined);
    expect(tokens.authenticate('é'.repeat(100))).to.equal(undefined);
  });

  it('lets a token do what a lower scope may, and not the other way round; the anonymous caller of a loopback API may do all', () => {
    expect(grants('write', 'read')).to.equal(true);
    expect(grants('write', 'write')).to.equal(true);
    expect(grants('read', 'read')).to.equal(true);
    expect(grants('read', 'write')).to.equal(false);
    expect(grants('admin', 'write')).to.equal(true);
    expect(grants('write', 'admin')).to.equal(false);
    expect(ANONYMOUS).to.deep.equal({ type: 'ANONYMOUS', name: 'anonymous', scope: 'admin' });
  });
});
