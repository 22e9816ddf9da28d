import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../../src/cli/args.js';
import { exportCaseFrom } from '../../../src/cli/commands/exportCaseCommand.js';
import type { Output } from '../../../src/cli/output.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import type { CaseExportReads } from '../../../src/streams/caseExport.js';
import { runCliWith } from '../../support/cli.js';
import { caseStream } from '../../support/caseStreams.js';

type Json = Record<string, unknown>;

/** Reads of one KYC case, c1, with a few events. */
const reads = async (): Promise<CaseExportReads> => {
  const stream: readonly DomainEvent[] = caseStream('c1', [
    ['person', 0, 0, true],
    ['notification', 0, 0, true],
  ]);
  return {
    events: async (aggregate_id, from, limit) => (aggregate_id === 'c1' ? stream.slice(from - 1, from - 1 + limit) : []),
    readModels: async () => ({ case: { id: 'c1' }, persons: [], document_requirements: [], company: undefined, beneficial_owners: [] }),
    unpublishedNotifications: async () => new Set(),
  };
};

const run = async (...argv: string[]) => runOn(reads, ...argv);

const runOn = async (from: () => Promise<CaseExportReads>, ...argv: string[]) => {
  const lines: string[] = [];
  const notes: string[] = [];
  const out: Output = { json: argv.includes('--json'), line: (t) => lines.push(t), note: (t) => notes.push(t), terminal: false };
  const code = await exportCaseFrom(from, parseArgs(['export-case', ...argv]), out);
  return { code, stdout: lines.map((l) => `${l}\n`).join(''), notes };
};

describe('casestream export-case', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'casestream-export-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a command line without exactly one case id, or with an id the API refuses too: exit 2, nothing on stdout', async () => {
    for (const argv of [[], ['c1', 'c2'], ['x'.repeat(201)], ['c\u00011'], [' '], ['c1', '--out=']]) {
      const { code, stdout, stderr } = await runCliWith({}, 'export-case', ...argv);
      expect(code, `${JSON.stringify(argv)}: ${stderr}`).to.equal(2);
      expect(stdout).to.equal('');
      expect(stderr.split('\n')[0]).to.match(/^casestream: .*export-case <case id> \[--out FILE\]$/);
    }
  });

  it('writes the export of a case on stdout as one JSON document, exit 0', async () => {
    const { code, stdout, notes } = await run('c1');
    expect(code).to.equal(0);
    expect(notes).to.deep.equal([]);
    const doc = JSON.parse(stdout) as Json;
    expect(doc).to.include({ case_id: 'c1' });
    expect((doc.events as Json[]).map((e) => e.version)).to.deep.equal([1, 2, 3]);
  });

  it('answers an unknown case with exit 1 and a one-line reason, writing nothing, not even the --out file', async () => {
    const file = join(dir, 'case.json');
    for (const argv of [['nobody'], ['nobody', '--out', file]]) {
      const { code, stdout, notes } = await run(...argv);
      expect(code).to.equal(1);
      expect(stdout).to.equal('');
      expect(notes).to.deep.equal(['casestream: no case nobody\n']);
    }
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('writes --out FILE readable by its owner only, replacing an earlier export whole, and says where', async () => {
    const file = join(dir, 'case.json');
    await writeFile(file, 'an earlier export that is much longer than the new one '.repeat(1000), { mode: 0o644 });
    const { code, stdout } = await run('c1', '--out', file, '--json');
    expect(code).to.equal(0);
    expect(JSON.parse(stdout)).to.deep.equal({ case_id: 'c1', file });
    expect((JSON.parse(await readFile(file, 'utf8')) as Json).case_id).to.equal('c1');
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect(await readdir(dir)).to.deep.equal(['case.json']);
  });

  it('stops at Ctrl-C (SIGINT) while writing --out FILE, leaving no file behind', async () => {
    const file = join(dir, 'case.json');
    const interrupted = async (): Promise<CaseExportReads> => {
      const r = await reads();
      return {
        ...r,
        // read while the file is written, after the events
        unpublishedNotifications: async (case_id) => {
          process.emit('SIGINT', 'SIGINT');
          return r.unpublishedNotifications(case_id);
        },
      };
    };
    const listeners = process.listenerCount('SIGINT');
    await runOn(interrupted, 'c1', '--out', file).then(
      () => expect.fail('the export should stop'),
      (error: unknown) => expect(String(error)).to.contain('interrupted by SIGINT'),
    );
    expect(await readdir(dir)).to.deep.equal([]);
    expect(process.listenerCount('SIGINT'), 'the signal handed back').to.equal(listeners);
  });
});
