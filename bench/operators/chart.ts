/**
 * The chart of an `npm run bench:operators` result: the composed operators' msg/s against the bare
 * loop's (the same work and ports without RxJS; the bare domain loop's in older results), medians
 * as bars, a tick per round, and issue 20's target (composed ≥ 0.7 × bare) as a dashed line. A
 * Vega-Lite spec, rendered to SVG by tools/chart.ts.
 */
import type { TopLevelSpec } from 'vega-lite';
import { referenceLine, SCHEMA, type Encoding } from '../common/vegaLite.js';

/** What the chart reads of a result file (bench/operators/main.ts writes more). */
export interface OperatorsResult {
  readonly settings: { readonly messages: number; readonly rounds: number };
  readonly node: string;
  readonly msgPerSec: number | null;
  readonly domainMsgPerSec: number | null;
  /** The bare loop doing the pipeline's work and ports without RxJS: the target's reference, when the result has it. */
  readonly bareMsgPerSec?: number | null;
  readonly rounds: readonly { readonly msgPerSec: number; readonly domainMsgPerSec: number; readonly bareMsgPerSec?: number }[];
}

/** The share of the bare domain's throughput the composed operators must reach (issue 20). */
export const TARGET_SHARE = 0.7;

const COMPOSED = 'composed operators';
const WIDTH = 360;

export const operatorsChart = (result: OperatorsResult): TopLevelSpec => {
  // Results that have the bare loop with the same ports compare with it; older ones with the bare domain.
  const withPorts = result.bareMsgPerSec !== undefined;
  const BARE = withPorts ? 'bare loop (same work and ports)' : 'bare domain loop';
  const bareOf = (r: OperatorsResult['rounds'][number]): number => (withPorts ? (r.bareMsgPerSec ?? Number.NaN) : r.domainMsgPerSec);
  const bare = withPorts ? (result.bareMsgPerSec ?? null) : result.domainMsgPerSec;
  const ratio = bare !== null && bare > 0 && result.msgPerSec !== null ? ` · ${(result.msgPerSec / bare).toFixed(2)} × bare` : '';
  const medians = [
    { what: COMPOSED, value: result.msgPerSec, label: `${result.msgPerSec?.toFixed(0)}${ratio}` },
    { what: BARE, value: bare, label: `${bare?.toFixed(0)}` },
  ]
    .filter((m) => m.value !== null)
    .map((m) => ({ ...m, description: `${m.what}: ${m.value?.toFixed(0)} msg/s, median of ${result.rounds.length} round(s)` }));
  const rounds = result.rounds.flatMap((r, i) => [
    { what: COMPOSED, value: r.msgPerSec, description: `${COMPOSED}, round ${i + 1}: ${r.msgPerSec.toFixed(0)} msg/s` },
    { what: BARE, value: bareOf(r), description: `${BARE}, round ${i + 1}: ${bareOf(r).toFixed(0)} msg/s` },
  ]);
  const y: Encoding['y'] = { field: 'what', type: 'nominal', title: null, scale: { domain: [COMPOSED, BARE] } };
  const x: Encoding['x'] = { field: 'value', type: 'quantitative', title: 'msg/s (CPU only, in-memory ports)' };
  const description: Encoding['description'] = { field: 'description' };
  return {
    $schema: SCHEMA,
    title: {
      text: `npm run bench:operators: ${result.settings.messages} messages, ${result.rounds.length} round(s), node ${result.node}`,
      subtitle: ['bar: the median of the rounds; tick: each round', `dashed line: the target, ${TARGET_SHARE} × the bare domain loop`],
      anchor: 'start',
    },
    width: WIDTH,
    height: { step: 28 },
    layer: [
      {
        data: { values: medians },
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          y,
          x,
          description,
          color: { field: 'what', scale: { domain: [COMPOSED, BARE], range: ['#4c78a8', '#9d9d9d'] }, legend: null },
        },
      },
      { data: { values: rounds }, mark: { type: 'tick', color: '#222', thickness: 1.5, size: 22 }, encoding: { y, x, description } },
      ...(bare === null ? [] : [referenceLine(x, bare * TARGET_SHARE, `target: ${(bare * TARGET_SHARE).toFixed(0)} msg/s`)]),
      {
        data: { values: medians },
        mark: { type: 'text', align: 'left', baseline: 'middle', x: WIDTH + 8, fontSize: 11 },
        encoding: { y, text: { field: 'label' } },
      },
    ],
  };
};
