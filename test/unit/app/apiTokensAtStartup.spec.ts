import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/infra/logger.js';
import { decodeSettings, SettingsError } from '../../../src/infra/settings.js';
import { startService } from '../../../src/service.js';

describe('API tokens at startup', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'casestream-tokens-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the service with API_TOKENS_FILE holding `text`; the brokers and database are unreachable, so only a refusal can come back fast. */
  const startWith = (text: string) => {
    const file = join(dir, 'tokens.json');
    writeFileSync(file, text);
    const settings = decodeSettings({
      API_TOKENS_FILE: file,
      HTTP_HOST: '127.0.0.1',
      KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1',
      MONGO_DETAILS: 'mongodb://127.0.0.1:1',
    });
    if (E.isLeft(settings)) throw new Error(settings.left);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { started: startService(settings.right, createLogger('info', sink)), lines };
  };

  it('refuses a bad tokens file as a settings error before connecting to anything', async () => {
    const { started, lines } = startWith('[{"name": "ops-alice", "token": "plain-text-token-0123456789abcdef", "scope": "read"}]');
    const error = await started.then(
      () => expect.fail('the service started'),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(SettingsError);
    expect((error as Error).message).to.equal(
      [
        'invalid settings:',
        `  API_TOKENS_FILE ${join(dir, 'tokens.json')}: $[0].sha256 is required`,
        `  API_TOKENS_FILE ${join(dir, 'tokens.json')}: $[0].token is not allowed: an entry holds name, sha256 and scope only, never the token`,
      ].join('\n'),
    );
    expect(lines, 'nothing started, nothing logged').to.deep.equal([]);
  });
});
