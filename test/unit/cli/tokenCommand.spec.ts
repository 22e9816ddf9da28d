import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { createHash } from 'node:crypto';
import { runCli } from '../../../src/cli/runCli.js';
import { decodeTokensFile } from '../../../src/infra/http/apiTokens.js';

const TOKEN = '3f9c1e0a7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e';

/** `casestream token …` with `stdin` piped in (none: stdin is a terminal), and no settings at all. */
const token = async (stdin: string | undefined, ...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['token', ...argv], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { ENV_FILE: '/dev/null', KAFKA_BOOTSTRAP_SERVERS: 'not a broker list' },
    ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
  });
  return { code, stdout, stderr };
};

describe('casestream token hash', () => {
  it('prints the API_TOKENS_FILE entry of the token piped in: what sha256sum prints, never the token, and the file takes it', async () => {
    const r = await token(`${TOKEN}\n`, 'hash', 'ops-alice', '--scope', 'write');
    expect(r).to.include({ code: 0, stderr: '' });
    const sha256 = createHash('sha256').update(TOKEN).digest('hex');
    expect(r.stdout).to.equal(`{"name":"ops-alice","sha256":"${sha256}","scope":"write"}\n`);
    expect(r.stdout).not.to.contain(TOKEN);
    expect(decodeTokensFile(`[${r.stdout}]`)).to.deep.equal(E.right([{ name: 'ops-alice', sha256, scope: 'write' }]));
  });

  it('makes a read token unless told otherwise, and takes the token with or without a final line end', async () => {
    const bare = await token(TOKEN, 'hash', 'crm');
    const crlf = await token(`${TOKEN}\r\n`, 'hash', 'crm', '--scope=read');
    expect(JSON.parse(bare.stdout)).to.include({ name: 'crm', scope: 'read' });
    expect(crlf.stdout).to.equal(bare.stdout);
  });

  it('refuses a weak or unprintable token, a bad name or scope, with a one-line reason and no entry', async () => {
    for (const [stdin, argv, reason] of [
      ['short-token\n', ['hash', 'ops-alice'], 'the token on stdin must be at least 32 characters long (openssl rand -hex 32 makes one)'],
      [`${TOKEN} ${TOKEN}`, ['hash', 'ops-alice'], 'the token on stdin must be printable ASCII without spaces'],
      [`${TOKEN}\n\n`, ['hash', 'ops-alice'], 'the token on stdin must be printable ASCII without spaces'],
      [TOKEN, ['hash', 'ops alice'], 'the name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or a digit'],
      [TOKEN, ['hash', 'ops-alice', '--scope', 'root'], '--scope must be one of read, write, admin'],
    ] as const) {
      const r = await token(stdin, ...argv);
      expect(r, reason).to.deep.equal({ code: 1, stdout: '', stderr: `casestream: ${reason}\n` });
    }
  });

  it('will not read a token typed on a terminal, and names what to do instead', async () => {
    expect(await token(undefined, 'hash', 'ops-alice')).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: 'casestream: token hash reads the token from a pipe: printf %s "$TOKEN" | casestream token hash <name>\n',
    });
  });

  it('answers a wrong command line with the usage and exit code 2', async () => {
    const r = await token(TOKEN, 'make', 'ops-alice');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('token needs: hash <name> [--scope read|write], the token on stdin');
    expect(r.stderr).to.contain('token hash <name> [--scope read|write]');
  });
});
