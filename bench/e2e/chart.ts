/**
 * The chart of an `npm run bench` result: a Vega-Lite spec (rendered to SVG by tools/chart.ts), one
 * column per mode, one panel per figure (throughput, CPU per message, done p50 and p99), one row per
 * contender: the median of the rounds (the figure the tables print), a tick per round, and the limit's
 * median as a dashed reference line.
 */
import type { TopLevelSpec } from 'vega-lite';
import { referenceLine, SCHEMA, type Encoding, type Panel } from '../common/vegaLite.js';
import { countsInMedians, summarize, type Summary } from './report.js';
import type { Mode, RunResult } from './runOnce.js';

/** What the chart reads of a result file (bench/run.ts writes more). */
export interface E2eResult {
  readonly started_at: string;
  readonly settings: {
    readonly messages: number;
    readonly rounds: number;
    readonly contenders: readonly string[];
    readonly modes: readonly Mode[];
    readonly pacedRate: number | null;
    readonly pacedFraction: number;
  };
  readonly machine: { readonly cpus: number; readonly cpu_model: string | null; readonly node: string };
  readonly runs: readonly RunResult[];
}

interface Figure {
  /** The axis title. */
  readonly title: string;
  /** What a mark's description (its aria-label in the SVG) calls the figure, and its unit. */
  readonly name: string;
  readonly unit: string;
  /** Latencies span orders of magnitude between modes and contenders, and their targets are ratios: a log scale shows both. */
  readonly log: boolean;
  readonly ofRun: (r: RunResult) => number | null | undefined;
  readonly ofSummary: (s: Summary) => number | null;
  readonly format: (v: number) => string;
}

const latency = (v: number): string => (v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toPrecision(3)} s`);

const FIGURES: readonly Figure[] = [
  {
    title: 'throughput, msg/s',
    name: 'throughput',
    unit: ' msg/s',
    log: false,
    ofRun: (r) => r.throughput,
    ofSummary: (s) => s.throughput,
    format: (v) => v.toFixed(1),
  },
  {
    title: 'CPU ms per message',
    name: 'CPU per message',
    unit: ' ms',
    log: false,
    ofRun: (r) => (r.cpuSeconds === null || r.completed === 0 ? null : (r.cpuSeconds * 1000) / r.completed),
    ofSummary: (s) => s.cpuMsPerMessage,
    format: (v) => v.toFixed(2),
  },
  {
    title: 'done latency p50, ms (log scale)',
    name: 'done p50',
    unit: '',
    log: true,
    ofRun: (r) => r.latencyMs?.done.p50,
    ofSummary: (s) => s.doneP50Ms,
    format: latency,
  },
  {
    title: 'done latency p99, ms (log scale)',
    name: 'done p99',
    unit: '',
    log: true,
    ofRun: (r) => r.latencyMs?.done.p99,
    ofSummary: (s) => s.doneP99Ms,
    format: latency,
  },
];

const LIMIT = 'limit';
/** The limit in grey, as the reference; the others in fixed colours so that charts of different runs read alike. */
const COLOURS: Readonly<Record<string, string>> = {
  casestream: '#4c78a8',
  'casestream-traced': '#f58518',
  'casestream-previous': '#9ecae9',
  baseline: '#e45756',
  [LIMIT]: '#9d9d9d',
};
const OTHER_COLOURS = ['#54a24b', '#b279a2', '#eeca3b', '#ff9da6'];

const WIDTH = 240;
const ROW_PX = 22;

interface MedianRow {
  readonly contender: string;
  readonly value: number;
  readonly label: string;
  readonly description: string;
}
interface RoundRow {
  readonly contender: string;
  readonly value: number;
  readonly description: string;
}

const ofMode = (result: E2eResult, mode: Mode): readonly RunResult[] => result.runs.filter((r) => r.mode === mode);

/** The notes a median needs: runs that timed out count with their partial rate, disturbed runs are left out. */
const notes = (s: Summary): string =>
  [s.timedOutRuns > 0 ? `${s.timedOutRuns}/${s.runs} timed out` : '', s.disturbedRuns > 0 ? `${s.disturbedRuns} disturbed` : '']
    .filter(Boolean)
    .map((n) => ` (${n})`)
    .join('');

const panel = (figure: Figure, mode: Mode, runs: readonly RunResult[], order: readonly string[], colours: readonly string[]): Panel => {
  const summaries = summarize(runs);
  const limit = summaries.find((s) => s.contender === LIMIT);
  const limitValue = limit ? figure.ofSummary(limit) : null;
  const medians: MedianRow[] = summaries.flatMap((s) => {
    const value = figure.ofSummary(s);
    if (value === null) return [];
    const ratio = s.contender !== LIMIT && limitValue !== null && limitValue > 0 ? ` · ${(value / limitValue).toFixed(2)} × limit` : '';
    return [
      {
        contender: s.contender,
        value,
        label: `${figure.format(value)}${ratio}${notes(s)}`,
        description: `${s.contender}, ${mode}: ${figure.name} ${figure.format(value)}${figure.unit}, median of ${s.runs} round(s)`,
      },
    ];
  });
  const rounds: RoundRow[] = runs.filter(countsInMedians).flatMap((r) => {
    const value = figure.ofRun(r);
    if (typeof value !== 'number') return [];
    return [
      {
        contender: r.contender,
        value,
        description: `${r.contender}, ${mode}, round ${r.round}: ${figure.name} ${figure.format(value)}${figure.unit}`,
      },
    ];
  });
  const y: Encoding['y'] = { field: 'contender', type: 'nominal', title: null, scale: { domain: [...order] } };
  const x: Encoding['x'] = {
    field: 'value',
    type: 'quantitative',
    title: figure.title,
    scale: figure.log ? { type: 'log' } : { zero: true },
    ...(figure.log ? { axis: { format: '~s' } } : {}),
  };
  const colour: Encoding['color'] = { field: 'contender', scale: { domain: [...order], range: [...colours] }, legend: null };
  const description: Encoding['description'] = { field: 'description' };
  return {
    width: WIDTH,
    height: { step: ROW_PX },
    layer: [
      {
        data: { values: medians },
        mark: figure.log ? { type: 'point', filled: true, size: 90, opacity: 1 } : { type: 'bar', height: { band: 0.7 } },
        encoding: { y, x, color: colour, description },
      },
      {
        data: { values: rounds },
        mark: { type: 'tick', color: '#222', thickness: 1.5, size: ROW_PX * 0.8 },
        encoding: { y, x, description },
      },
      ...(limitValue === null
        ? []
        : [referenceLine(x, limitValue, `the limit's ${figure.name}, ${mode}: ${figure.format(limitValue)}${figure.unit}`)]),
      {
        data: { values: medians },
        mark: { type: 'text', align: 'left', baseline: 'middle', x: WIDTH + 8, fontSize: 11 },
        encoding: { y, text: { field: 'label' } },
      },
    ],
  };
};

const modeTitle = (result: E2eResult, mode: Mode): string => {
  if (mode === 'saturation') return 'saturation: every message waiting at the start';
  const { pacedRate, pacedFraction } = result.settings;
  return pacedRate !== null
    ? `paced: ${pacedRate} msg/s offered to each`
    : `paced: each offered ${pacedFraction} × its own saturated rate of the round`;
};

/** The Vega-Lite spec of a result's chart. */
export const e2eChart = (result: E2eResult): TopLevelSpec => {
  const order = [...new Set([...result.settings.contenders, ...result.runs.map((r) => r.contender)])];
  let other = 0;
  const colours = order.map((c) => COLOURS[c] ?? OTHER_COLOURS[other++ % OTHER_COLOURS.length]!);
  const modes = result.settings.modes.filter((m) => ofMode(result, m).length > 0);
  const roundsRun = result.runs.reduce((n, r) => Math.max(n, r.round), 0);
  const { cpus, cpu_model: model, node } = result.machine;
  const hasLimit = order.includes(LIMIT);
  return {
    $schema: SCHEMA,
    title: {
      text: `npm run bench: ${result.settings.messages} messages, ${roundsRun} round(s), ${result.started_at}`,
      subtitle: [
        `${cpus} × ${model ?? 'unknown CPU'}, node ${node}`,
        // short lines: without a canvas Vega overestimates text widths, and the widest line sets the chart's width
        'bar or dot: the median of the rounds, as the tables print it',
        `tick: each round${hasLimit ? "; dashed line: the limit's median" : ''}`,
      ],
      anchor: 'start',
    },
    spacing: 24,
    hconcat: modes.map((mode) => ({
      title: { text: modeTitle(result, mode), anchor: 'start' },
      spacing: 16,
      vconcat: FIGURES.map((figure) => panel(figure, mode, ofMode(result, mode), order, colours)),
    })),
    config: { view: { stroke: '#ddd' }, axisY: { labelLimit: 160 } },
  };
};
