import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironment, parseEnvFile } from '../../../src/infra/envFile.js';

describe('parseEnvFile', () => {
  it('reads KEY=value lines', () => {
    expect(parseEnvFile('KAFKA_TOPIC_NAME=kyc_events\nDB_NAME=cases')).to.deep.equal({ KAFKA_TOPIC_NAME: 'kyc_events', DB_NAME: 'cases' });
  });

  it('skips comment lines and blank lines, and accepts Windows line endings', () => {
    const text = '# local settings\n\n   \n  # indented comment\r\nLOG_LEVEL=debug\r\n\r\nDB_NAME=x\n';
    expect(parseEnvFile(text)).to.deep.equal({ LOG_LEVEL: 'debug', DB_NAME: 'x' });
  });

  it('takes a quoted value without its quotes, keeping what is inside as written', () => {
    expect(parseEnvFile(`A="two words"\nB='single # not a comment'\nC="  padded  "\nD=""`)).to.deep.equal({
      A: 'two words',
      B: 'single # not a comment',
      C: '  padded  ',
      D: '',
    });
  });

  it('accepts an export prefix and spaces around the equals sign', () => {
    expect(parseEnvFile('export REDIS_URL=redis://cache:6379\nexport   A = 1\n B =2 ')).to.deep.equal({
      REDIS_URL: 'redis://cache:6379',
      A: '1',
      B: '2',
    });
  });

  it('drops an inline comment after an unquoted value, but keeps a # that is part of the value', () => {
    expect(parseEnvFile('LOG_LEVEL=debug # noisy\nPASSWORD=abc#123\nTAB=x\t# tabbed')).to.deep.equal({
      LOG_LEVEL: 'debug',
      PASSWORD: 'abc#123',
      TAB: 'x',
    });
  });

  it('drops an inline comment after a quoted value, and the quotes with it', () => {
    expect(parseEnvFile('MONGO_DETAILS="mongodb://db:27017" # local replica\nB=\'b\' # why')).to.deep.equal({
      MONGO_DETAILS: 'mongodb://db:27017',
      B: 'b',
    });
  });

  it('keeps everything after the first equals sign, and does not interpolate', () => {
    expect(parseEnvFile('URL=http://x/?a=1&b=2\nREF=${HOME}/x')).to.deep.equal({ URL: 'http://x/?a=1&b=2', REF: '${HOME}/x' });
  });

  it('sets an empty value for KEY=', () => {
    expect(parseEnvFile('CONFIG_SERVICE_URL=')).to.deep.equal({ CONFIG_SERVICE_URL: '' });
  });

  it('ignores lines that are not assignments', () => {
    expect(parseEnvFile('just words\n1BAD=x\n=y\nGOOD=1')).to.deep.equal({ GOOD: '1' });
  });

  it('lets a later line win over an earlier one', () => {
    expect(parseEnvFile('A=1\nA=2')).to.deep.equal({ A: '2' });
  });
});

describe('loadEnvironment', () => {
  let dir: string;
  let cwd: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'casestream-env-'));
    cwd = process.cwd();
  });

  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads the file named by ENV_FILE', () => {
    const file = write('test.env', 'DB_NAME=from_file\nLOG_LEVEL=debug\n');
    expect(loadEnvironment({ ENV_FILE: file })).to.deep.equal({ ENV_FILE: file, DB_NAME: 'from_file', LOG_LEVEL: 'debug' });
  });

  it('lets the real environment win over the file', () => {
    const file = write('test.env', 'DB_NAME=from_file\nLOG_LEVEL=debug\n');
    const env = loadEnvironment({ ENV_FILE: file, DB_NAME: 'from_env' });
    expect(env.DB_NAME).to.equal('from_env');
    expect(env.LOG_LEVEL).to.equal('debug');
  });

  it('refuses to start when ENV_FILE names a file that does not exist, naming it', () => {
    const missing = join(dir, 'nope.env');
    expect(() => loadEnvironment({ ENV_FILE: missing })).to.throw(`ENV_FILE names ${missing}, which does not exist`);
  });

  it('reads config/local.env by default when it exists', () => {
    mkdirSync(join(dir, 'config'));
    write('config/local.env', 'KAFKA_TOPIC_NAME=local_topic\n');
    process.chdir(dir);
    expect(loadEnvironment({ LOG_LEVEL: 'warn' })).to.deep.equal({ KAFKA_TOPIC_NAME: 'local_topic', LOG_LEVEL: 'warn' });
  });

  it('starts without any file when there is no ENV_FILE and no config/local.env', () => {
    process.chdir(dir);
    expect(loadEnvironment({ LOG_LEVEL: 'warn' })).to.deep.equal({ LOG_LEVEL: 'warn' });
  });

  it('does not change the environment object it is given', () => {
    const file = write('test.env', 'DB_NAME=from_file\n');
    const env = { ENV_FILE: file };
    loadEnvironment(env);
    expect(env).to.deep.equal({ ENV_FILE: file });
  });
});
