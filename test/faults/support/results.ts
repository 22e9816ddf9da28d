import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a run keeps what it observed: `$FAULT_RESULTS_DIR` (scripts/test-faults.sh sets it), else
 * `<tmpdir>/casestream-faults/run-<time>`. Each scenario writes `<scenario>.json` there; service
 * logs go to `<scenario>/*.log` beside it.
 */
let dir: string | undefined;
export const resultsDir = (): string => {
  dir ??= process.env.FAULT_RESULTS_DIR || join(tmpdir(), 'casestream-faults', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

export interface FaultRecord {
  readonly fault: string;
  /** Seconds since the scenario's service first started. */
  readonly at_s: number;
  readonly duration_s?: number;
  readonly detail?: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly title: string;
  readonly passed: boolean;
  readonly failure?: string;
  readonly seed: number;
  readonly service_env_overrides?: Record<string, string>;
  readonly messages: { readonly valid: number; readonly invalid: number; readonly produced: number; readonly resent_batches: number };
  readonly faults: readonly FaultRecord[];
  readonly timings: Record<string, number>;
  readonly invariants: Record<string, unknown>;
  readonly observations: Record<string, unknown>;
  readonly logs: readonly string[];
}

export const writeResult = (result: ScenarioResult): string => {
  const file = join(resultsDir(), `${result.scenario}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
};

export const readResults = (from: string): ScenarioResult[] =>
  readdirSync(from)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(from, f), 'utf8')) as ScenarioResult);

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** One line per scenario: what was driven, what was injected, how long it took, what was counted. */
export const summaryTable = (results: readonly ScenarioResult[]): string => {
  const rows = [
    ['scenario', 'ok', 'valid', 'invalid', 'faults', 'wall s', 'cases', 'notif', 'on topic', 'lookup fail', 'dlq', 'max dup'],
    ...results.map((r) => {
      const inv = r.invariants as Record<string, Record<string, number> | undefined>;
      return [
        r.scenario,
        r.passed ? 'yes' : 'NO',
        String(r.messages.valid),
        String(r.messages.invalid),
        String(r.faults.length),
        String(Math.round(r.timings.total_s ?? 0)),
        String(inv.cases?.exactlyOne ?? '-'),
        String(inv.notifications?.stored ?? '-'),
        String(inv.notifications?.eventIdsOnTopic ?? '-'),
        String(inv.notifications?.openLookupFailures ?? '-'),
        String(inv.deadLetters?.found ?? '-'),
        String(inv.notifications?.maxCopiesOnTopic ?? '-'),
      ];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => pad(c, widths[i]!)).join('  ')).join('\n');
};
