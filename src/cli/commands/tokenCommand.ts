import * as E from 'fp-ts/lib/Either.js';
import { sha256Hex, tokenName, type ApiTokenEntry } from '../../infra/http/apiTokens.js';
import { SCOPES, type Scope } from '../../infra/http/scopes.js';
import { MIN_API_TOKEN_LENGTH } from '../../infra/settings.js';
import { UsageError, type ParsedArgs } from '../args.js';

/** Printable ASCII without spaces: what an Authorization header carries byte for byte. */
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** The token as read from stdin, without the one line end that `echo` or a here-string adds. */
const tokenOf = (input: string): string => input.replace(/\r?\n$/, '');

/**
 * The API_TOKENS_FILE entry of a token, or why the name, scope or token cannot make one. The token
 * must be as strong as API_TOKEN must be, since nothing can check that from its hash later.
 */
export const tokenEntryOf = (name: string, scope: string, input: string): E.Either<string, ApiTokenEntry> => {
  if (E.isLeft(tokenName.decode(name))) {
    return E.left(`the name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or a digit`);
  }
  if (!isScope(scope)) return E.left(`--scope must be one of ${SCOPES.join(', ')}`);
  const token = tokenOf(input);
  if (token.length < MIN_API_TOKEN_LENGTH) {
    return E.left(`the token on stdin must be at least ${MIN_API_TOKEN_LENGTH} characters long (openssl rand -hex 32 makes one)`);
  }
  if (!TOKEN_TEXT.test(token)) return E.left('the token on stdin must be printable ASCII without spaces');
  return E.right({ name, sha256: sha256Hex(token), scope });
};

/**
 * `casestream token hash <name> [--scope read|write]` (read by default): reads a token piped to
 * stdin and prints its API_TOKENS_FILE entry as one line of JSON; the token itself is never
 * printed. Needs no settings. `readStdin` is absent when stdin is a terminal, where a typed token
 * would show on the screen.
 */
export const tokenCommand = async (
  args: ParsedArgs,
  readStdin: (() => Promise<string>) | undefined,
  line: (text: string) => void,
): Promise<number> => {
  const [, action, name] = args.words;
  if (action !== 'hash' || name === undefined) throw new UsageError('token needs: hash <name> [--scope read|write], the token on stdin');
  if (readStdin === undefined) throw new Error('token hash reads the token from a pipe: printf %s "$TOKEN" | casestream token hash <name>');
  const made = tokenEntryOf(name, args.options.get('scope') ?? 'read', await readStdin());
  if (E.isLeft(made)) throw new Error(made.left);
  line(JSON.stringify(made.right));
  return 0;
};
