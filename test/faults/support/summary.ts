// Prints the summary table of a fault run: `node --import tsx test/faults/support/summary.ts <results dir>`.
import { readResults, summaryTable } from './results.js';

const from = process.argv[2] ?? process.env.FAULT_RESULTS_DIR;
if (!from) {
  process.stderr.write('usage: summary.ts <results dir>\n');
  process.exit(2);
}
const results = readResults(from);
if (results.length === 0) process.stdout.write(`no scenario results in ${from}\n`);
else {
  process.stdout.write(`${summaryTable(results)}\n\n`);
  for (const r of results) {
    process.stdout.write(`${r.scenario}: ${r.title}\n`);
    for (const f of r.faults)
      process.stdout.write(
        `  fault ${f.fault} at ${f.at_s}s${f.duration_s === undefined ? '' : ` for ${f.duration_s}s`}${f.detail ? ` (${f.detail})` : ''}\n`,
      );
    process.stdout.write(
      `  timings: ${Object.entries(r.timings)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}\n`,
    );
    if (!r.passed) process.stdout.write(`  FAILED: ${r.failure ?? ''}\n`);
  }
  process.stdout.write(`\nper-scenario JSON: ${from}\n`);
}
