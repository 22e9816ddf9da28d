import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically } from '../../../src/cli/writeFileAtomically.js';

async function* chunks(...texts: (string | Error)[]): AsyncGenerator<string> {
  for (const t of texts) {
    if (t instanceof Error) throw t;
    yield t;
  }
}

describe('writing a file atomically', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'casestream-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every chunk in order, with the mode asked for', async () => {
    const file = join(dir, 'out.json');
    await writeFileAtomically(file, chunks('{\n', '"a": 1\n', '}\n'), 0o600);
    expect(await readFile(file, 'utf8')).to.equal('{\n"a": 1\n}\n');
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
  });

  it('leaves an earlier file as it was, and no temporary file, when the writing fails midway', async () => {
    const file = join(dir, 'out.json');
    await writeFile(file, 'earlier');
    const failing = writeFileAtomically(file, chunks('{\n', new Error('the database went away')), 0o600);
    await failing.then(
      () => expect.fail('the write should fail'),
      (error: unknown) => expect(String(error)).to.contain('the database went away'),
    );
    expect(await readFile(file, 'utf8')).to.equal('earlier');
    expect(await readdir(dir)).to.deep.equal(['out.json']);
  });

  it('fails without leaving anything when the file cannot be created', async () => {
    const file = join(dir, 'missing', 'out.json');
    await writeFileAtomically(file, chunks('{}'), 0o600).then(
      () => expect.fail('the write should fail'),
      (error: unknown) => expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT'),
    );
    expect(await readdir(dir)).to.deep.equal([]);
  });
});
