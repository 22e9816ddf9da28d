/**
 * Draws a bench result as an SVG chart with Vega-Lite (compiled to Vega, rendered headless): an
 * `npm run bench` result (bench/e2e/chart.ts) or an `npm run bench:operators` one
 * (bench/operators/chart.ts). The benches call it when they finish; it redraws any result file:
 *
 *   node dist/bench/bench/tools/chart.js <result.json> [out.svg]     (default: the .json's path, .svg)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { svgOf } from '../common/vegaLite.js';
import { e2eChart, type E2eResult } from '../e2e/chart.js';
import { operatorsChart, type OperatorsResult } from '../operators/chart.js';

/** The chart's spec for a parsed result file of either bench. */
export const chartOf = (result: unknown): TopLevelSpec => {
  const r = result as Partial<Record<string, unknown>> | null;
  if (r !== null && typeof r === 'object' && Array.isArray(r.runs)) return e2eChart(r as unknown as E2eResult);
  if (r !== null && typeof r === 'object' && Array.isArray(r.rounds) && 'domainMsgPerSec' in r)
    return operatorsChart(r as unknown as OperatorsResult);
  throw new Error('not a bench result: neither runs (npm run bench) nor rounds and domainMsgPerSec (npm run bench:operators)');
};

/** Draws a result file's chart into `svgFile` (by default beside it, .svg for .json); returns the SVG's path. */
export const drawChart = async (resultFile: string, svgFile = resultFile.replace(/(\.json)?$/, '.svg')): Promise<string> => {
  const svg = await svgOf(chartOf(JSON.parse(readFileSync(resultFile, 'utf8'))));
  writeFileSync(svgFile, `${svg}\n`);
  return svgFile;
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [resultFile, svgFile] = process.argv.slice(2);
  if (!resultFile) {
    process.stderr.write('usage: chart <result.json> [out.svg]\n');
    process.exit(2);
  }
  drawChart(resultFile, svgFile).then(
    (file) => process.stdout.write(`${file}\n`),
    (error: unknown) => {
      process.stderr.write(`chart: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
