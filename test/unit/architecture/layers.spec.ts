import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const RULES = join(ROOT, '.dependency-cruiser.mjs');

/** The layer rules' verdict on a tree of files: the names of the rules it breaks (none when it passes). */
const brokenRules = async (files: Record<string, string>): Promise<string[]> => {
  const dir = mkdtempSync(join(tmpdir(), 'casestream-layers-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const out = await run(DEPCRUISE, ['src', '--config', RULES, '--output-type', 'json'], { cwd: dir }).catch((e: { stdout: string }) => e);
    const result = JSON.parse(out.stdout) as { summary: { violations: { rule: { name: string } }[] } };
    return [...new Set(result.summary.violations.map((v) => v.rule.name))].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe('the layer rules', function () {
  this.timeout(30_000);

  it('accept imports that point down: infra on streams, streams on domain, domain on lib', async () => {
    expect(
      await brokenRules({
        'src/lib/hash.ts': 'export const hash = 1;\n',
        'src/domain/ids.ts': "import { hash } from '../lib/hash.js';\nexport const id = hash;\n",
        'src/streams/step.ts': "import { id } from '../domain/ids.js';\nexport const step = id;\n",
        'src/infra/adapter.ts': "import { step } from '../streams/step.js';\nexport const adapter = step;\n",
      }),
    ).to.deep.equal([]);
  });

  it('refuse a domain module that imports an adapter', async () => {
    expect(
      await brokenRules({
        'src/infra/settings.ts': 'export const settings = 1;\n',
        'src/domain/rule.ts': "import { settings } from '../infra/settings.js';\nexport const rule = settings;\n",
      }),
    ).to.deep.equal(['domain-is-pure']);
  });

  it('refuse a pipeline step that imports the service, and an operator that knows the domain', async () => {
    expect(
      await brokenRules({
        'src/service.ts': 'export const service = 1;\n',
        'src/domain/events.ts': 'export const events = 1;\n',
        'src/streams/steps/step.ts': "import { service } from '../../service.js';\nexport const step = service;\n",
        'src/operators/op.ts': "import { events } from '../domain/events.js';\nexport const op = events;\n",
      }),
    ).to.deep.equal(['operators-are-generic', 'streams-below-infra']);
  });

  it('refuse a pipeline step that talks to MongoDB or the file system itself, and a domain module that traces', async () => {
    expect(
      await brokenRules({
        'src/streams/steps/store.ts':
          "import { MongoClient } from 'mongodb';\nimport { readFileSync } from 'node:fs';\nexport const s = [MongoClient, readFileSync];\n",
        'src/domain/traced.ts': "import { trace } from '@opentelemetry/api';\nexport const t = trace;\n",
      }),
    ).to.deep.equal(['no-io-below-infra', 'no-tracing-in-the-core']);
  });

  it('refuse an adapter that sets up the tracing SDK, which only the app does', async () => {
    expect(
      await brokenRules({
        'src/infra/exporter.ts':
          "import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';\nexport const p = BasicTracerProvider;\n",
      }),
    ).to.deep.equal(['tracing-sdk-in-app-only']);
  });

  it('refuse an import cycle', async () => {
    expect(
      await brokenRules({
        'src/streams/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'src/streams/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      }),
    ).to.deep.equal(['no-circular']);
  });

  it('find none of these in casestream itself', async () => {
    const out = await run(DEPCRUISE, ['src', '--config', RULES, '--output-type', 'json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).catch(
      (e: { stdout: string }) => e,
    );
    const result = JSON.parse(out.stdout) as { summary: { violations: unknown[]; totalCruised: number } };
    expect(result.summary.totalCruised).to.be.greaterThan(100);
    expect(result.summary.violations).to.deep.equal([]);
  });
});
