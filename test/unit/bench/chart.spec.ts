import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { e2eChart, type E2eResult } from '../../../bench/e2e/chart.js';
import type { Mode, RunResult } from '../../../bench/e2e/runOnce.js';
import { svgOf } from '../../../bench/common/vegaLite.js';
import { operatorsChart, type OperatorsResult } from '../../../bench/operators/chart.js';
import { drawChart } from '../../../bench/tools/chart.js';

interface Figures {
  readonly throughput: number;
  readonly cpuSeconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly timedOut?: boolean;
  readonly stackRestarted?: string;
}

const MESSAGES = 1000;
const none = { n: 0, p50: null, p99: null, max: null };

/** A run as bench/run.ts records it, with only what the chart reads set to something other than null. */
const run = (contender: string, mode: Mode, round: number, f: Figures): RunResult =>
  ({
    contender,
    mode,
    round,
    ok: !f.timedOut,
    timedOut: f.timedOut ?? false,
    messages: MESSAGES,
    completed: MESSAGES,
    targetRate: mode === 'paced' ? 200 : null,
    throughput: f.throughput,
    cpuSeconds: f.cpuSeconds,
    latencyMs: {
      done: { n: MESSAGES, p50: f.p50, p99: f.p99, max: f.p99 },
      notification: none,
      doneClientMessages: none,
      doneCommands: none,
    },
    stackRestarted: f.stackRestarted ?? null,
  }) as unknown as RunResult;

const result = (runs: readonly RunResult[]): E2eResult => ({
  started_at: '2026-12-05T10-00-00-000Z',
  settings: {
    messages: MESSAGES,
    rounds: 2,
    contenders: ['casestream', 'limit'],
    modes: ['saturation', 'paced'],
    pacedRate: null,
    pacedFraction: 0.5,
  },
  machine: { cpus: 2, cpu_model: 'Test CPU', node: 'v20.20.2' },
  runs,
});

const SMALL = result([
  run('casestream', 'saturation', 1, { throughput: 380, cpuSeconds: 1.2, p50: 2400, p99: 4400 }),
  run('casestream', 'saturation', 2, { throughput: 420, cpuSeconds: 1.0, p50: 2600, p99: 4600 }),
  run('limit', 'saturation', 1, { throughput: 790, cpuSeconds: 0.4, p50: 1900, p99: 2900 }),
  run('limit', 'saturation', 2, { throughput: 810, cpuSeconds: 0.4, p50: 2100, p99: 3100 }),
  run('casestream', 'paced', 1, { throughput: 190, cpuSeconds: 1.6, p50: 120, p99: 300 }),
  run('casestream', 'paced', 2, { throughput: 210, cpuSeconds: 1.8, p50: 140, p99: 340 }),
  run('limit', 'paced', 1, { throughput: 395, cpuSeconds: 0.7, p50: 110, p99: 250 }),
  run('limit', 'paced', 2, { throughput: 405, cpuSeconds: 0.7, p50: 130, p99: 270 }),
]);

/** The aria-labels of the SVG's marks of one kind (Vega writes each mark's description there). */
const marks = (svg: string, kind: 'bar' | 'tick' | 'point' | 'rule mark'): string[] =>
  [...svg.matchAll(/aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="([^"]*)"/g)]
    .filter((m) => m[2] === kind)
    .map((m) => m[1]!);

/** The texts the SVG prints. */
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

describe("the bench's chart (Vega-Lite, rendered to SVG)", () => {
  let svg: string;
  before(async () => {
    svg = await svgOf(e2eChart(SMALL));
  });

  it('is an SVG that names every contender in every panel', () => {
    expect(svg.startsWith('<svg')).to.equal(true);
    const printed = texts(svg);
    expect(printed.filter((t) => t === 'casestream')).to.have.length(8);
    expect(printed.filter((t) => t === 'limit')).to.have.length(8);
  });

  it('draws the median of the rounds as a bar for throughput and CPU, and as a dot for each latency, in each mode', () => {
    expect(marks(svg, 'bar')).to.have.members([
      'casestream, saturation: throughput 400.0 msg/s, median of 2 round(s)',
      'limit, saturation: throughput 800.0 msg/s, median of 2 round(s)',
      'casestream, saturation: CPU per message 1.10 ms, median of 2 round(s)',
      'limit, saturation: CPU per message 0.40 ms, median of 2 round(s)',
      'casestream, paced: throughput 200.0 msg/s, median of 2 round(s)',
      'limit, paced: throughput 400.0 msg/s, median of 2 round(s)',
      'casestream, paced: CPU per message 1.70 ms, median of 2 round(s)',
      'limit, paced: CPU per message 0.70 ms, median of 2 round(s)',
    ]);
    expect(marks(svg, 'point')).to.have.members([
      'casestream, saturation: done p50 2.50 s, median of 2 round(s)',
      'limit, saturation: done p50 2.00 s, median of 2 round(s)',
      'casestream, saturation: done p99 4.50 s, median of 2 round(s)',
      'limit, saturation: done p99 3.00 s, median of 2 round(s)',
      'casestream, paced: done p50 130 ms, median of 2 round(s)',
      'limit, paced: done p50 120 ms, median of 2 round(s)',
      'casestream, paced: done p99 320 ms, median of 2 round(s)',
      'limit, paced: done p99 260 ms, median of 2 round(s)',
    ]);
  });

  it("draws a tick for every round's value of every figure", () => {
    const ticks = marks(svg, 'tick');
    expect(ticks).to.have.length(8 * 4);
    expect(ticks).to.include('casestream, saturation, round 1: throughput 380.0 msg/s');
    expect(ticks).to.include('casestream, saturation, round 2: throughput 420.0 msg/s');
    expect(ticks).to.include('limit, paced, round 2: done p99 270 ms');
  });

  it("draws the limit's median as the reference line of every panel, and prints each median's ratio to it", () => {
    expect(marks(svg, 'rule mark')).to.have.members([
      "the limit's throughput, saturation: 800.0 msg/s",
      "the limit's CPU per message, saturation: 0.40 ms",
      "the limit's done p50, saturation: 2.00 s",
      "the limit's done p99, saturation: 3.00 s",
      "the limit's throughput, paced: 400.0 msg/s",
      "the limit's CPU per message, paced: 0.70 ms",
      "the limit's done p50, paced: 120 ms",
      "the limit's done p99, paced: 260 ms",
    ]);
    const printed = texts(svg);
    expect(printed).to.include('400.0 · 0.50 × limit');
    expect(printed).to.include('1.10 · 2.75 × limit');
    expect(printed).to.include('4.50 s · 1.50 × limit');
    expect(printed).to.include('800.0');
  });

  it('leaves out a run during which a stack server restarted, as the medians do, and says which medians count timed-out runs', async () => {
    const svg = await svgOf(
      e2eChart(
        result([
          run('casestream', 'saturation', 1, { throughput: 300, cpuSeconds: 1, p50: 3000, p99: 5000, timedOut: true }),
          run('casestream', 'saturation', 2, { throughput: 999, cpuSeconds: 1, p50: 1, p99: 1, stackRestarted: 'ferretdb' }),
          run('limit', 'saturation', 1, { throughput: 600, cpuSeconds: 0.3, p50: 2000, p99: 3000 }),
        ]),
      ),
    );
    expect(marks(svg, 'tick').filter((t) => t.includes('round 2'))).to.deep.equal([]);
    expect(texts(svg)).to.include('300.0 · 0.50 × limit (1/2 timed out) (1 disturbed)');
    expect(texts(svg).some((t) => t.startsWith('paced'))).to.equal(false);
  });

  it('draws the operator bench: the composed operators against the bare domain loop, with the 0.7 × target', async () => {
    const operators: OperatorsResult = {
      settings: { messages: 100_000, rounds: 2 },
      node: 'v20.20.2',
      msgPerSec: 11_000,
      domainMsgPerSec: 22_000,
      rounds: [
        { msgPerSec: 10_000, domainMsgPerSec: 21_000 },
        { msgPerSec: 12_000, domainMsgPerSec: 23_000 },
      ],
    };
    const svg = await svgOf(operatorsChart(operators));
    expect(marks(svg, 'bar')).to.have.members([
      'composed operators: 11000 msg/s, median of 2 round(s)',
      'bare domain loop: 22000 msg/s, median of 2 round(s)',
    ]);
    expect(marks(svg, 'tick')).to.have.length(4);
    expect(marks(svg, 'rule mark')).to.deep.equal(['target: 15400 msg/s']);
    expect(texts(svg)).to.include('11000 · 0.50 × bare');
  });

  describe('drawChart', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'casestream-chart-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('writes the SVG beside the result file, under the same name', async () => {
      const file = join(dir, '2026-12-05T10-00-00-000Z.json');
      writeFileSync(file, JSON.stringify(SMALL));
      expect(await drawChart(file)).to.equal(join(dir, '2026-12-05T10-00-00-000Z.svg'));
      expect(readFileSync(join(dir, '2026-12-05T10-00-00-000Z.svg'), 'utf8')).to.equal(`${svg}\n`);
    });

    it('refuses a file that is no bench result', async () => {
      const file = join(dir, 'other.json');
      writeFileSync(file, JSON.stringify({ hello: 'world' }));
      const error = await drawChart(file).then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(error)).to.match(/not a bench result/);
    });
  });
});
